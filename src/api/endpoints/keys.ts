import { DomainError } from '../../domain/errors.js';
import type { IpLockInput } from '../../domain/keys.js';
import { operation } from '../operation.js';
import { ApiProblem } from '../problems.js';
import {
  createdKeyJson,
  createKeyBody,
  keyJson,
  keyListJson,
  keyParams,
  listKeysQuery,
  lookupBody,
  phoneParams,
  updateKeyBody,
} from '../schemas.js';
import { keyToJson } from '../serialize.js';

/** The API's `ip_lock` as the domain's lock (whose list is the text a form would hold). */
const ipLockOf = (lock: { mode: IpLockInput['mode']; entries?: string[] }): IpLockInput => ({
  mode: lock.mode,
  ...(lock.entries ? { list: lock.entries.join(',') } : {}),
});

const notFound = { status: 404, description: 'No such key' } as const;

export const keyEndpoints = [
  operation({
    method: 'get',
    path: '/keys',
    operationId: 'listKeys',
    summary: 'List keys, newest first',
    description:
      'Paged by an opaque cursor: pass `next_cursor` as `cursor` until it is null. Walking the pages sees every key that existed when the walk began exactly once, whatever is created meanwhile.',
    tag: 'keys',
    access: 'read',
    query: listKeysQuery,
    success: { status: 200, description: 'A page of keys', schema: keyListJson },
    refusals: [],
    async handle({ query, domain }) {
      const page = await domain.keys.page(query);
      return { data: page.keys.map(keyToJson), next_cursor: page.nextCursor };
    },
  }),
  operation({
    method: 'post',
    path: '/keys',
    operationId: 'createKey',
    summary: 'Create a key',
    description: 'The answer holds the whole key, once: it is never shown again.',
    tag: 'keys',
    access: 'write',
    body: createKeyBody,
    success: { status: 201, description: 'Created: the whole key and the key', schema: createdKeyJson },
    refusals: [{ status: 409, description: 'The name is taken' }],
    async handle({ body, domain, actor }) {
      const { key, view } = await domain.keys.create({
        name: body.name,
        description: body.description,
        ipLock: ipLockOf(body.ip_lock ?? { mode: 'off' }),
        scopes: body.scopes,
        environment: body.environment,
        algorithm: body.algorithm,
        actor,
      });
      return { key, data: keyToJson(view) };
    },
  }),
  operation({
    method: 'post',
    path: '/keys/lookup',
    operationId: 'lookupKey',
    summary: 'Find a key by its whole value (e.g. a leaked one)',
    description: 'The value travels in the body, never in a URL. Finds keys in any status, revoked ones too.',
    tag: 'keys',
    access: 'read',
    body: lookupBody,
    success: { status: 200, description: 'The key', schema: keyJson },
    refusals: [{ status: 404, description: 'No key has this value' }],
    async handle({ body, domain }) {
      return keyToJson(await domain.keys.findByValue(body.key));
    },
  }),
  operation({
    method: 'get',
    path: '/keys/{key}',
    operationId: 'getKey',
    summary: 'Get a key',
    description: 'By `pk_<id>` in any status (revoked too), or by the name of a key not revoked.',
    tag: 'keys',
    access: 'read',
    params: keyParams,
    success: { status: 200, description: 'The key', schema: keyJson },
    refusals: [notFound],
    async handle({ params, domain }) {
      return keyToJson(await domain.keys.get(params.key));
    },
  }),
  operation({
    method: 'patch',
    path: '/keys/{key}',
    operationId: 'updateKey',
    summary: 'Change a key: name, description, IP lock, scopes',
    description: 'Environment and algorithm are fixed at creation. Audited with each change as old → new.',
    tag: 'keys',
    access: 'write',
    params: keyParams,
    body: updateKeyBody,
    success: { status: 200, description: 'The key as changed', schema: keyJson },
    refusals: [notFound, { status: 409, description: 'The new name is taken, or the key is revoked' }],
    async handle({ params, body, domain, actor }) {
      const { view } = await domain.keys.edit(
        params.key,
        {
          name: body.name,
          description: body.description,
          ipLock: body.ip_lock ? ipLockOf(body.ip_lock) : undefined,
          scopes: body.scopes,
        },
        actor,
      );
      return keyToJson(view);
    },
  }),
  operation({
    method: 'delete',
    path: '/keys/{key}',
    operationId: 'deleteKey',
    summary: 'Revoke a key',
    description:
      'As Slack\'s delete: refused from the next request on this instance, within 1 s on every other. The key stays listed with `status: "revoked"`.',
    tag: 'keys',
    access: 'write',
    params: keyParams,
    success: { status: 204, description: 'Revoked' },
    refusals: [{ status: 404, description: 'No such key, or it is already revoked' }],
    async handle({ params, domain, actor }) {
      try {
        await domain.keys.revoke(params.key, actor, 'deleted');
      } catch (error) {
        // Already revoked: gone, as far as deleting goes.
        if (error instanceof DomainError && error.code === 'conflict') throw new ApiProblem(404, error.message);
        throw error;
      }
    },
  }),
  operation({
    method: 'post',
    path: '/keys/{key}/rotate',
    operationId: 'rotateKey',
    summary: 'Rotate a key',
    description:
      'Creates a successor (the same name with `-r2`, `-r3`…, the same IP lock, scopes and environment), shown once in this answer; the old key keeps working until its `grace_ends_at`.',
    tag: 'keys',
    access: 'write',
    params: keyParams,
    success: { status: 201, description: 'The successor: the whole key and the key', schema: createdKeyJson },
    refusals: [notFound, { status: 409, description: 'The key is revoked, or already rotated (rotate its successor)' }],
    async handle({ params, domain, actor }) {
      const { key, view } = await domain.keys.rotate(params.key, actor);
      return { key, data: keyToJson(view) };
    },
  }),
  operation({
    method: 'delete',
    path: '/keys/{key}/phones/{e164}',
    operationId: 'unlinkPhone',
    summary: 'Unlink a phone number from a key',
    description: 'The phone must register again to be linked.',
    tag: 'keys',
    access: 'write',
    params: phoneParams,
    success: { status: 204, description: 'Unlinked' },
    refusals: [{ status: 404, description: 'No such key, or the number is not linked to it' }],
    async handle({ params, domain, actor }) {
      await domain.keys.unlinkPhone(params.key, params.e164, actor);
    },
  }),
];
