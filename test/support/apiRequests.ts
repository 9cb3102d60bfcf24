/**
 * Call the management API as a script would: real HTTP on loopback, `Authorization: Bearer mk_…`,
 * JSON bodies. node:http, so a test can pick the source address (`localAddress`, e.g. 127.0.0.9)
 * and send any body or header it likes.
 */
import http from 'node:http';

export type Json = any;

export interface ApiResponse {
  status: number;
  /** Parsed JSON (also problem+json) when possible, else the text. */
  body: Json;
  text: string;
  headers: http.IncomingHttpHeaders;
}

export interface ApiRequestOptions {
  method?: string;
  /** Below the origin, e.g. `/api/v1/keys?limit=5`. */
  path: string;
  token?: string;
  /** Sent as JSON (content-type application/json) unless `body` is given. */
  json?: unknown;
  /** A raw body (content-type from `headers`). */
  body?: string | Buffer;
  headers?: Record<string, string>;
  localAddress?: string;
}

export function apiRequest(baseUrl: string, options: ApiRequestOptions): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let payload: Buffer | undefined;
  if (options.body !== undefined) payload = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
  else if (options.json !== undefined) {
    payload = Buffer.from(JSON.stringify(options.json), 'utf8');
    headers['content-type'] = 'application/json';
  }
  if (payload) headers['content-length'] = String(payload.length);
  Object.assign(headers, options.headers ?? {});
  const url = new URL(options.path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? (payload ? 'POST' : 'GET'), headers, localAddress: options.localAddress, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Json = text;
          if (/json/.test(res.headers['content-type'] ?? '')) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body, text, headers: res.headers });
        });
        res.on('error', reject);
      },
    );
    // The server may answer (401, 413) before reading a large body and close: that is an answer, not a failure.
    req.on('error', reject);
    if (payload) req.end(payload);
    else req.end();
  });
}

export interface ApiClient {
  get(path: string): Promise<ApiResponse>;
  post(path: string, json?: unknown): Promise<ApiResponse>;
  patch(path: string, json: unknown): Promise<ApiResponse>;
  delete(path: string): Promise<ApiResponse>;
}

/** Paths are below /api/v1. */
export function apiClient(baseUrl: string, token: string | undefined, localAddress?: string): ApiClient {
  const call = (method: string, path: string, json?: unknown) =>
    apiRequest(baseUrl, { method, path: `/api/v1${path}`, token, json, localAddress });
  return {
    get: (path) => call('GET', path),
    post: (path, json) => call('POST', path, json),
    patch: (path, json) => call('PATCH', path, json),
    delete: (path) => call('DELETE', path),
  };
}
