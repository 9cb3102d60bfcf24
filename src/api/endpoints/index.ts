import type { ApiOperation } from '../operation.js';
import { fleetEndpoints } from './fleet.js';
import { keyEndpoints } from './keys.js';

/** Every endpoint below /api/v1 (besides /openapi.json), in the order the document lists them. */
export const API_OPERATIONS: ApiOperation[] = [...keyEndpoints, ...fleetEndpoints];
