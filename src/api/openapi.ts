/**
 * The OpenAPI 3.1 document of the management API, generated from the same operation
 * declarations and zod schemas the router serves. Committed as docs/openapi.json
 * (`npx tsx scripts/generate-openapi.ts` after a change; a test fails while it is stale)
 * and served at GET /api/v1/openapi.json.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { FAILED_AUTH_LIMIT } from './auth.js';
import { API_OPERATIONS } from './endpoints/index.js';
import type { ApiOperation } from './operation.js';
import { PROBLEM_CONTENT_TYPE, type ProblemStatus } from './problems.js';
import { problemJson } from './schemas.js';

export const OPENAPI_FILE = 'docs/openapi.json';

const problem = (description: string): ResponseConfig => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemJson } },
});

/** What every operation may answer besides its own success and refusals. */
function commonRefusals(op: ApiOperation): [ProblemStatus, string][] {
  const refusals: [ProblemStatus, string][] = [];
  if (op.params || op.query || op.body) refusals.push([400, 'Invalid input: `errors` names each field and what is wrong']);
  refusals.push([401, 'No API token, or a malformed, unknown or revoked one (with `WWW-Authenticate: Bearer`)']);
  if (op.access === 'write') refusals.push([403, 'A read-only token']);
  if (op.body) {
    refusals.push([413, 'The body is larger than 64 KiB']);
    refusals.push([415, 'The body is not `application/json`']);
  }
  refusals.push([429, `More than ${FAILED_AUTH_LIMIT} failed authentications from this IP within a minute (see \`Retry-After\`)`]);
  refusals.push([503, 'The database is unavailable; retry']);
  return refusals;
}

function register(registry: OpenAPIRegistry, op: ApiOperation): void {
  const responses: Record<string, ResponseConfig> = {
    [op.success.status]: {
      description: op.success.description,
      ...(op.success.schema ? { content: { 'application/json': { schema: op.success.schema } } } : {}),
    },
  };
  for (const [status, description] of commonRefusals(op)) responses[status] = problem(description);
  for (const refusal of op.refusals) responses[refusal.status] = problem(refusal.description);
  registry.registerPath({
    method: op.method,
    path: op.path,
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    ...(op.access === 'write' ? { 'x-required-token-scope': 'write' } : {}),
    request: {
      ...(op.params ? { params: op.params as never } : {}),
      ...(op.query ? { query: op.query as never } : {}),
      ...(op.body ? { body: { required: true, content: { 'application/json': { schema: op.body } } } } : {}),
    },
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b))),
  });
}

/** The whole document; deterministic, so the committed copy can be compared byte for byte. */
export function openApiDocument(): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'mk_<id>_<secret>',
    description: 'An API token made in Slack with `/keys token create <name> [read|write]`, shown once.',
  });
  for (const op of API_OPERATIONS) register(registry, op);
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    tags: ['meta'],
    security: [],
    responses: { 200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
  });
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'phonekeys management API',
      version: '1',
      description:
        'Manage phone API keys from scripts: create, list, change, rotate and revoke keys, unlink phones, read phones and the audit trail. JSON field names are snake_case; errors are RFC 9457 problem details.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ apiToken: [] }],
    tags: [
      { name: 'keys', description: 'Phone keys' },
      { name: 'phones', description: 'Gateway phones' },
      { name: 'audit', description: 'Who changed what' },
      { name: 'meta', description: 'About the API' },
    ],
  });
  return document as unknown as Record<string, unknown>;
}

export const openApiDocumentText = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;
