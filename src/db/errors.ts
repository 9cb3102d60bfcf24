/**
 * "The database is unavailable" (as opposed to a bug or a refused write): the driver could not
 * reach a server, lost the connection, or the connection is closed. Such a failure is answered
 * with "try again" (503 to a phone, a clear ephemeral in Slack) and logged as a warning.
 */
const UNAVAILABLE_ERRORS = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoPoolClosedError',
  'MongoServerClosedError',
  'MongoClientClosedError',
  'MongoOperationTimeoutError',
]);

/**
 * A socket error as Node raises it (`syscall` set). The driver passes some of these on unwrapped,
 * e.g. `write ECONNRESET` when the server went away between two commands.
 */
const SOCKET_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Labels a replica set puts on errors of a failover in progress (a primary stepping down). */
const TRANSIENT_LABELS = ['RetryableWriteError', 'ResetPool'];

export function isDatabaseUnavailable(error: unknown): boolean {
  // The driver's errors may arrive wrapped (mongoose, our own IngestUnavailableError): follow `cause`.
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const e = current as { name?: string; errorLabels?: unknown; cause?: unknown; code?: unknown; syscall?: unknown };
    if (e.name && UNAVAILABLE_ERRORS.has(e.name)) return true;
    // Only the error itself: a socket error behind a wrapper may be Slack's or an upload's, not MongoDB's.
    if (depth === 0 && typeof e.syscall === 'string' && typeof e.code === 'string' && SOCKET_ERROR_CODES.has(e.code)) return true;
    if (Array.isArray(e.errorLabels) && e.errorLabels.some((label) => TRANSIENT_LABELS.includes(label))) return true;
    current = e.cause;
  }
  return false;
}
