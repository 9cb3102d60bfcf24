/** E.164: a plus, a non-zero country code digit, at most 15 digits in all. */
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;

export const isE164 = (value: string): boolean => E164_PATTERN.test(value);

/** Accepts what people paste in Slack ("+234 801-234-5678") and returns E.164, or undefined. */
export function normalizePhoneNumber(raw: string): string | undefined {
  const compact = raw.trim().replace(/[\s().-]/g, '');
  return isE164(compact) ? compact : undefined;
}
