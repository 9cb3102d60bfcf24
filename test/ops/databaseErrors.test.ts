/** Which failures are "the database is unavailable" (503 / "try again shortly") rather than a bug. */
import mongoose from 'mongoose';
import { expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/errors.js';
import { DomainError } from '../../src/domain/errors.js';
import { IngestUnavailableError } from '../../src/webhooks/ingest.js';

const { mongo } = mongoose;
const socketError = (code: string, syscall = 'write') => Object.assign(new Error(`${syscall} ${code}`), { code, syscall, errno: -104 });

it('recognises the driver failing to reach MongoDB, however it is wrapped', () => {
  expect(isDatabaseUnavailable(new mongo.MongoNetworkError('connection reset'))).toBe(true);
  expect(isDatabaseUnavailable(new mongo.MongoNetworkTimeoutError('timed out'))).toBe(true);
  expect(isDatabaseUnavailable(new mongo.MongoNotConnectedError('not connected'))).toBe(true);
  expect(isDatabaseUnavailable(new mongo.MongoTopologyClosedError())).toBe(true);
  expect(
    isDatabaseUnavailable(Object.assign(new Error('Server selection timed out after 3000 ms'), { name: 'MongooseServerSelectionError' })),
  ).toBe(true);
  // what the driver throws for a write to a socket the server reset
  expect(isDatabaseUnavailable(socketError('ECONNRESET'))).toBe(true);
  expect(
    isDatabaseUnavailable(new IngestUnavailableError('the database is unavailable', { cause: new mongo.MongoNetworkError('x') })),
  ).toBe(true);
  const steppedDown = new mongo.MongoServerError({ message: 'not primary', code: 10107 });
  steppedDown.addErrorLabel('RetryableWriteError');
  expect(isDatabaseUnavailable(steppedDown)).toBe(true);
});

it('does not take a user error, a duplicate key, a bug or another service failing for the database being away', () => {
  expect(isDatabaseUnavailable(new DomainError('not_found', 'No key called "x".'))).toBe(false);
  expect(isDatabaseUnavailable(new mongo.MongoServerError({ message: 'E11000 duplicate key error', code: 11000 }))).toBe(false);
  expect(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
  // Slack's Web API client and fetch (response_url, uploads) failing on their own sockets
  expect(
    isDatabaseUnavailable(Object.assign(new Error('A request error occurred: read ECONNRESET'), { code: 'slack_webapi_request_error' })),
  ).toBe(false);
  expect(isDatabaseUnavailable(new TypeError('fetch failed', { cause: socketError('ECONNREFUSED', 'connect') }))).toBe(false);
  expect(isDatabaseUnavailable(undefined)).toBe(false);
  expect(isDatabaseUnavailable('ECONNRESET')).toBe(false);
});
