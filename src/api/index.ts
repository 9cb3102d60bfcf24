import express, { type RequestHandler, Router } from 'express';
import type { AppContext } from '../context.js';
import { authenticate, FailedAuthLimiter, requireWrite, tokenOf } from './auth.js';
import { API_OPERATIONS } from './endpoints/index.js';
import { openApiDocumentText } from './openapi.js';
import type { ApiOperation } from './operation.js';
import { ApiProblem, problemHandler } from './problems.js';
import { validatePart } from './validation.js';

/** Bodies are at most 64 KiB, as for phone webhooks. */
export const MAX_API_BODY_BYTES = 64 * 1024;

/**
 * The management API, mounted at /api/v1: each declared operation behind, in order, the
 * failed-authentication limit (429) → the bearer token (401) → its scope (403) → the content
 * type (415) → the body (413, 400 for JSON) → the zod schemas (400 naming each field) → the
 * domain, whose refusals become 400/404/409. Every error is a problem document.
 */
export function createManagementApi(context: AppContext): Router {
  const logger = context.logger.child({ component: 'api' });
  const limiter = new FailedAuthLimiter(context.models.ApiAuthFailure, context.clock);
  const auth = authenticate(context.domain.apiTokens, limiter);
  const document = openApiDocumentText();

  const router = Router();
  router.use((_req, res, next) => {
    // Answers may hold a key (create, rotate) or say who may do what: never cached anywhere.
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });

  const methodsOf = new Map<string, string[]>();
  for (const op of API_OPERATIONS) {
    const path = op.path.replace(/\{(\w+)\}/g, ':$1');
    methodsOf.set(path, [...(methodsOf.get(path) ?? []), op.method.toUpperCase()]);
    const chain: RequestHandler[] = [named(op), auth];
    if (op.access === 'write') chain.push(requireWrite);
    chain.push(...bodyHandlers(op), serve(op, context));
    router.route(path)[op.method](...chain);
  }
  for (const [path, methods] of methodsOf) {
    router.all(path, (req, _res, next) =>
      next(
        new ApiProblem(405, `${req.method} is not allowed here; use ${methods.join(' or ')}.`, undefined, { Allow: methods.join(', ') }),
      ),
    );
  }
  router.use((req, _res, next) => {
    next(new ApiProblem(404, `There is no endpoint ${req.method} /api/v1${req.path}; see /api/v1/openapi.json.`));
  });
  router.use(problemHandler(logger));
  return router;
}

const named =
  (op: ApiOperation): RequestHandler =>
  (_req, res, next) => {
    (res.locals.log as Record<string, unknown>).operation = op.operationId;
    next();
  };

const jsonBody = express.json({ limit: MAX_API_BODY_BYTES, type: () => true, inflate: false });

/** JSON only: an endpoint that takes a body requires it; any other request may carry only JSON (ignored). */
function bodyHandlers(op: ApiOperation): RequestHandler[] {
  const contentType: RequestHandler = (req, res, next) => {
    const carriesBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    res.locals.carriesBody = carriesBody;
    if (!op.body && !carriesBody) return next();
    const given = req.headers['content-type'];
    const [mediaType = '', ...params] = (given ?? '').split(';').map((part) => part.trim().toLowerCase());
    const charset = params
      .find((p) => p.startsWith('charset='))
      ?.slice('charset='.length)
      .replace(/"/g, '');
    if (mediaType !== 'application/json')
      return next(new ApiProblem(415, given ? 'Send the body as application/json.' : 'Content-Type is missing: send application/json.'));
    if (charset && charset !== 'utf-8' && charset !== 'utf8') return next(new ApiProblem(415, 'Send the body as UTF-8 JSON.'));
    next();
  };
  return [contentType, jsonBody];
}

function serve(op: ApiOperation, context: AppContext): RequestHandler {
  return async (req, res, next) => {
    try {
      const errors: Record<string, string> = {};
      const params = op.params ? validatePart(op.params, req.params, 'path', errors) : {};
      const query = op.query ? validatePart(op.query, req.query, 'query', errors) : {};
      const body = op.body ? validatePart(op.body, res.locals.carriesBody ? req.body : undefined, 'body', errors) : undefined;
      if (Object.keys(errors).length > 0) throw new ApiProblem(400, `Invalid ${Object.keys(errors).join(', ')}.`, errors);
      const token = tokenOf(res);
      const result = await op.handle({ params, query, body, domain: context.domain, token, actor: `api:${token.name}` });
      if (op.success.status === 204) res.status(204).end();
      else res.status(op.success.status).json(result);
    } catch (error) {
      next(error);
    }
  };
}
