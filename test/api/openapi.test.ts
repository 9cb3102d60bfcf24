/**
 * The OpenAPI document: generated from the API's own declarations and zod schemas, committed
 * (docs/openapi.json) and served identical, valid OpenAPI 3.1 by a real validator, and every
 * operation it lists is one the server answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileErrors, validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OPENAPI_FILE, openApiDocumentText } from '../../src/api/openapi.js';
import { apiRequest } from '../support/apiRequests.js';
import { REPO_ROOT } from '../support/processes.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const committed = () => readFileSync(join(REPO_ROOT, OPENAPI_FILE), 'utf8');

it(`${OPENAPI_FILE} is generated from the current schemas (else: npx tsx scripts/generate-openapi.ts)`, () => {
  expect(committed()).toBe(openApiDocumentText());
});

it('GET /api/v1/openapi.json serves the committed document, without a token', async () => {
  const response = await apiRequest(app.baseUrl, { path: '/api/v1/openapi.json' });
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.text).toBe(committed());
});

it('is valid OpenAPI 3.1 (and the validator does refuse a broken copy)', async () => {
  const document = JSON.parse(committed());
  expect(document.openapi).toBe('3.1.0');
  const result = await validate(structuredClone(document));
  expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);

  const broken = structuredClone(document);
  broken.paths['/keys'].get.responses = 'none';
  expect((await validate(broken)).valid).toBe(false);
});

it('lists every operation of /api/v1, each answered by the server (401 without a token, not 404)', async () => {
  const document = JSON.parse(committed()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      open: Array.isArray(op.security) && op.security.length === 0,
    })),
  );
  expect(operations.map((op) => `${op.method} ${op.path}`).sort()).toEqual(
    [
      'GET /keys',
      'POST /keys',
      'POST /keys/lookup',
      'GET /keys/{key}',
      'PATCH /keys/{key}',
      'DELETE /keys/{key}',
      'POST /keys/{key}/rotate',
      'DELETE /keys/{key}/phones/{e164}',
      'GET /phones',
      'GET /audit',
      'GET /openapi.json',
    ].sort(),
  );
  for (const op of operations) {
    const path = `/api/v1${op.path.replace('{key}', 'some-key').replace('{e164}', '%2B2348012345678')}`;
    const response = await apiRequest(app.baseUrl, { method: op.method, path, localAddress: '127.0.0.3' });
    expect(response.status, `${op.method} ${op.path}`).toBe(op.open ? 200 : 401);
  }
});
