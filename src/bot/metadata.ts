/**
 * What a modal carries in private_metadata: which key it is about and where to
 * report once it is submitted (the response_url of the command or button that opened it).
 */
export interface ModalMetadata {
  keyId?: string;
  responseUrl?: string;
  channelId?: string;
}

export function encodeMetadata(metadata: ModalMetadata): string {
  return JSON.stringify(metadata);
}

export function decodeMetadata(raw: string | undefined): ModalMetadata {
  try {
    const parsed: unknown = JSON.parse(raw || '{}');
    if (!parsed || typeof parsed !== 'object') return {};
    const { keyId, responseUrl, channelId } = parsed as Record<string, unknown>;
    return {
      ...(typeof keyId === 'string' ? { keyId } : {}),
      ...(typeof responseUrl === 'string' && /^https?:\/\//.test(responseUrl) ? { responseUrl } : {}),
      ...(typeof channelId === 'string' ? { channelId } : {}),
    };
  } catch {
    return {};
  }
}
