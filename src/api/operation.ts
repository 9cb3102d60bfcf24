import type { z } from 'zod';
import type { ApiTokenView } from '../domain/apiTokens.js';
import type { Domain } from '../domain/index.js';
import type { ProblemStatus } from './problems.js';

/**
 * One endpoint of the management API, declared once: the router serves it and the OpenAPI
 * document describes it from the same declaration, so neither can drift from the other.
 */
export interface ApiOperation<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
> {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI style, below /api/v1: `/keys/{key}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: 'keys' | 'phones' | 'audit';
  /** `write`: changes something, refused (403) for read tokens. */
  access: 'read' | 'write';
  params?: Params;
  query?: Query;
  body?: Body;
  success: { status: 200 | 201 | 204; description: string; schema?: z.ZodType };
  /** Refusals beyond those every authenticated endpoint can answer (400 for bad input, 401, 429, 503). */
  refusals: { status: ProblemStatus; description: string }[];
  handle(call: ApiCall<z.output<Params>, z.output<Query>, z.output<Body>>): Promise<unknown>;
}

export interface ApiCall<Params, Query, Body> {
  params: Params;
  query: Query;
  body: Body;
  domain: Domain;
  token: ApiTokenView;
  /** Who the audit trail names: `api:<token name>`. */
  actor: string;
}

/** Declares an operation with its handler typed by its schemas. */
export const operation = <Params extends z.ZodType = z.ZodType, Query extends z.ZodType = z.ZodType, Body extends z.ZodType = z.ZodType>(
  definition: ApiOperation<Params, Query, Body>,
): ApiOperation => definition as unknown as ApiOperation;
