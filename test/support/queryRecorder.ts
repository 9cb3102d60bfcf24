/**
 * Records the queries the product sends to MongoDB during the test run, for the end-of-run index
 * check (indexCoverage.ts, run by globalSetup like the log scan). Loaded in every test worker
 * (vitest `setupFiles`) and in every process the tests start (`--import`, see processes.ts).
 *
 * Every mongoose connection of the process gets driver command monitoring
 * (`monitorCommands: true`); each find / update / delete / findAndModify / aggregate / count /
 * distinct is kept once per shape and code location, with the filter of its first occurrence.
 * The location is the first frame of the repository's own code on the stack where the query was
 * built (a mongoose query or aggregate; for the driver's own methods, the async stack of the
 * command): queries built in src/ are the product's and are judged; those a test builds itself
 * are not.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import mongoose, { type mongo } from 'mongoose';
import { type RecordedQuery, shapeKey } from './indexCoverage.js';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const THIS_FILE = relative(REPO_ROOT, import.meta.filename);
const PATCHED = Symbol.for('phonekeys.queryRecorder');
const JUDGED = new Set(['find', 'update', 'delete', 'findAndModify', 'aggregate', 'count', 'distinct']);
const { EJSON } = mongoose.mongo.BSON;

type Doc = Record<string, unknown>;

/** Where the query now being executed was built: a src/ location, or null for a test's own query. */
const builtAt = new AsyncLocalStorage<string | null>();
const BUILT_AT = Symbol('built at');
const QUERY_BUILDERS = [
  'find',
  'findOne',
  'findById',
  'findOneAndUpdate',
  'findOneAndDelete',
  'findByIdAndUpdate',
  'updateOne',
  'updateMany',
  'deleteOne',
  'deleteMany',
  'countDocuments',
  'exists',
  'distinct',
  'aggregate',
] as const;

/**
 * A src/ function may return a mongoose query without awaiting it, and then its frame is gone by
 * the time the command is sent: so the location is taken when the query is built, and the query's
 * execution carries it (AsyncLocalStorage) to the command-monitoring listener.
 */
function rememberWhereQueriesAreBuilt(): void {
  const Model = mongoose.Model as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of QUERY_BUILDERS) {
    const build = Model[name]!;
    Model[name] = function (this: unknown, ...args: unknown[]) {
      const query = build.apply(this, args);
      if (query && typeof query === 'object') (query as { [BUILT_AT]?: string | null })[BUILT_AT] = productLocation() ?? null;
      return query;
    };
  }
  for (const Builder of [mongoose.Query, mongoose.Aggregate] as unknown as { prototype: { exec(...args: unknown[]): unknown } }[]) {
    const exec = Builder.prototype.exec;
    Builder.prototype.exec = function (this: { [BUILT_AT]?: string | null }, ...args: unknown[]) {
      const location = this[BUILT_AT];
      return location === undefined ? exec.apply(this, args) : builtAt.run(location, () => exec.apply(this, args));
    };
  }
}

function install(dir: string): void {
  // The class of every connection mongoose creates (the driver's NativeConnection).
  const prototype = Object.getPrototypeOf(mongoose.connection) as {
    createClient(this: { client?: mongo.MongoClient }, uri: string, options?: Doc): Promise<unknown>;
    [PATCHED]?: boolean;
  };
  if (prototype[PATCHED]) return;
  prototype[PATCHED] = true;
  rememberWhereQueriesAreBuilt();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `queries-${process.pid}.jsonl`);
  const seen = new Set<string>();
  const createClient = prototype.createClient;
  prototype.createClient = function (uri, options) {
    const result = createClient.call(this, uri, { ...options, monitorCommands: true });
    // The client exists once createClient's synchronous part ran (before it awaits the connect).
    this.client?.on('commandStarted', (event) => {
      if (!JUDGED.has(event.commandName)) return;
      const built = builtAt.getStore();
      const location = built === undefined ? productLocation() : built;
      if (!location) return;
      for (const query of queriesOf(event.commandName, event.command as Doc)) {
        const recorded: RecordedQuery = { ...query, location };
        const key = shapeKey(recorded);
        if (seen.has(key)) continue;
        seen.add(key);
        appendFileSync(file, `${EJSON.stringify(recorded, { relaxed: true })}\n`);
      }
    });
    return result;
  };
}

/** The command's queries: one per statement of an update or delete, the first $match (and its $sort) of a pipeline. */
export function queriesOf(command: string, body: Doc): Omit<RecordedQuery, 'location'>[] {
  const collection = String(body[command]);
  // The driver sends sorts (and may send hints) as Maps, to keep their order.
  const plain = (v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v) as Doc | string | undefined;
  const one = (filter: unknown, sort?: unknown, hint?: unknown) => {
    const order = plain(sort) as Record<string, number> | undefined;
    return {
      collection,
      command,
      filter: (filter ?? {}) as Doc,
      ...(order && Object.keys(order).length ? { sort: order } : {}),
      ...(hint ? { hint: plain(hint) as RecordedQuery['hint'] } : {}),
    };
  };
  switch (command) {
    case 'find':
      return [one(body.filter, body.sort, body.hint)];
    case 'findAndModify':
      return [one(body.query, body.sort, body.hint)];
    case 'count':
    case 'distinct':
      // count without a query is answered from collection metadata
      return command === 'count' && !Object.keys((body.query ?? {}) as Doc).length ? [] : [one(body.query)];
    case 'update':
      return (body.updates as Doc[]).map((u) => one(u.q, undefined, u.hint));
    case 'delete':
      return (body.deletes as Doc[]).map((d) => one(d.q, undefined, d.hint));
    case 'aggregate': {
      const [first, second] = body.pipeline as Doc[];
      if (first?.$match) return [one(first.$match, second?.$sort, body.hint)];
      return [one({}, first?.$sort, body.hint)];
    }
    default:
      return [];
  }
}

/** `src/…:line` of the first repository frame on the stack, when it is the product's; undefined for a test's own query. */
function productLocation(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 80;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const match = /\(?(?:file:\/\/)?(\/[^()]+?):(\d+):\d+\)?$/.exec(line.trim());
    if (!match) continue;
    const path = relative(REPO_ROOT, match[1]!);
    if (path.startsWith('..') || path.includes('node_modules') || path === THIS_FILE) continue;
    if (!path.startsWith('src/')) return undefined;
    const name = /^at (?:async )?([^\s(]+) \(/.exec(line.trim())?.[1];
    return `${path}:${match[2]}${name ? ` (${name})` : ''}`;
  }
  return 'an unknown place (no repository frame on the stack)';
}

const directory = process.env.PHONEKEYS_TEST_QUERY_DIR;
if (directory) install(directory);
