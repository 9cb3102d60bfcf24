/**
 * Writes docs/openapi.json from the management API's operations and zod schemas (src/api).
 * Run after changing them: `npx tsx scripts/generate-openapi.ts`
 * (test/api/openapi.test.ts fails while the committed file is stale).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPENAPI_FILE, openApiDocumentText } from '../src/api/openapi.js';

const target = fileURLToPath(new URL(`../${OPENAPI_FILE}`, import.meta.url));
writeFileSync(target, openApiDocumentText());
console.log(`wrote ${OPENAPI_FILE}`);
