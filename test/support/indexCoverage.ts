/**
 * The end-of-run index check: is every query the product sent served by an index it declares?
 * (queryRecorder.ts collects the queries during the run; globalSetup judges them here at the end.)
 *
 * A query is served when, for each of its `$or` branches (a `$or` whose branches all constrain
 * one same field is a range on that field, as mongod reads it):
 *  - it pins a unique index (`_id` included) by equality on all its fields, or
 *  - some declared index (the hinted one, if the query has a hint) starts with ALL its equality
 *    fields (in any order; `$in` counts as equality), then its sort fields in order (all in the
 *    index's direction or all reversed), and — when it has neither equality nor sort — with a
 *    field it constrains by range. Range fields after that are checked on the fetched documents.
 * A partial index serves only queries that repeat its filter (those fields then need no key); a
 * sparse index, none that asks for null on its first field. An unfiltered read must sort by an
 * index, or hint one to read it whole (an index-only scan, e.g. every key id once at start). This is mongod's equality–sort–range rule: a query served this way examines about the
 * documents it returns, however large the collection grows.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { defineModels } from '../../src/models/index.js';

type Doc = Record<string, unknown>;

export interface DeclaredIndex {
  name: string;
  key: [string, number][];
  unique: boolean;
  sparse: boolean;
  partial?: Doc;
}

/** One query as recorded: the command's filter and sort, and where in the product it was sent from. */
export interface RecordedQuery {
  collection: string;
  command: string;
  filter: Doc;
  sort?: Record<string, number>;
  hint?: string | Record<string, number>;
  location: string;
}

export type Verdict = { served: true; by: string } | { served: false; why: string };

/** The indexes the product's models declare, by collection (what ensureIndexes builds). */
export function declaredIndexes(): Map<string, DeclaredIndex[]> {
  const connection = mongoose.createConnection(); // never opened: only the schemas are read
  const byCollection = new Map<string, DeclaredIndex[]>();
  for (const model of Object.values(defineModels(connection))) {
    const indexes: DeclaredIndex[] = [{ name: '_id_', key: [['_id', 1]], unique: true, sparse: false }];
    for (const [fields, options] of model.schema.indexes() as [Record<string, number>, Doc][]) {
      indexes.push({
        name: Object.entries(fields)
          .map(([f, d]) => `${f}_${d}`)
          .join('_'),
        key: Object.entries(fields),
        unique: Boolean(options.unique),
        sparse: Boolean(options.sparse),
        partial: options.partialFilterExpression as Doc | undefined,
      });
    }
    byCollection.set(model.collection.collectionName, indexes);
  }
  return byCollection;
}

// ── reading a filter ────────────────────────────────────────────────────

const isOperatorObject = (v: unknown): v is Doc =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  !(v instanceof Date) &&
  !(v as { _bsontype?: string })._bsontype &&
  Object.keys(v).length > 0 &&
  Object.keys(v).every((k) => k.startsWith('$'));

/** Field -> its predicate, for one conjunction (no $or left); $nor and $expr are checked on the documents. */
type Branch = Map<string, unknown>;

/** The conjunctions a filter is an OR of (one when it has no multi-field $or). */
export function branchesOf(filter: Doc): Branch[] {
  let branches: Branch[] = [new Map()];
  const and = (extra: Branch[]) => {
    branches = branches.flatMap((b) => extra.map((e) => new Map([...b, ...mergeInto(b, e)])));
  };
  for (const [field, value] of Object.entries(filter)) {
    if (field === '$and') {
      for (const clause of value as Doc[]) and(branchesOf(clause));
    } else if (field === '$or') {
      const alternatives = (value as Doc[]).flatMap((clause) => branchesOf(clause));
      const fields = new Set(alternatives.flatMap((b) => [...b.keys()]));
      const [only] = fields;
      if (only !== undefined && fields.size === 1 && alternatives.every((b) => b.size === 1)) {
        // one field's alternatives (e.g. null or ≤ now): a range on that field
        and([new Map([[only, { $or: alternatives.map((b) => b.get(only)) }]])]);
      } else and(alternatives);
    } else if (!field.startsWith('$')) and([new Map([[field, value]])]);
  }
  return branches;
}

/** Merges a branch's predicates into a copy of another's (two predicates on one field: both apply). */
function mergeInto(base: Branch, extra: Branch): Branch {
  const merged = new Map<string, unknown>();
  for (const [field, value] of extra) merged.set(field, base.has(field) ? { $and: [base.get(field), value] } : value);
  return merged;
}

const isEquality = (predicate: unknown) =>
  !isOperatorObject(predicate) || (Object.keys(predicate).length === 1 && ('$eq' in predicate || '$in' in predicate));
const isNullEquality = (predicate: unknown) =>
  predicate === null || (isOperatorObject(predicate) && (predicate.$eq === null || predicate.$exists === false));

/** The filter with its values replaced by their types: queries differing only in values are one shape. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [shape(value[0])] : [];
  if (value instanceof Date) return '<date>';
  if (value === null || typeof value !== 'object') return value === null ? null : `<${typeof value}>`;
  if ((value as { _bsontype?: string })._bsontype) return `<${(value as { _bsontype: string })._bsontype}>`;
  return Object.fromEntries(Object.entries(value as Doc).map(([k, v]) => [k, shape(v)]));
}

/** One query shape sent from one place: what the check judges once. */
export function shapeKey(query: RecordedQuery): string {
  return JSON.stringify([query.collection, query.command, shape(query.filter), query.sort, query.hint, query.location]);
}

// ── judging ─────────────────────────────────────────────────────────────

export function judge(query: Pick<RecordedQuery, 'filter' | 'sort' | 'hint'>, indexes: DeclaredIndex[]): Verdict {
  const candidates = query.hint === undefined ? indexes : indexes.filter((i) => matchesHint(i, query.hint!));
  if (candidates.length === 0) return { served: false, why: `it hints ${JSON.stringify(query.hint)}, which is not a declared index` };
  const sort = Object.entries(query.sort ?? {});
  const used = new Set<string>();
  for (const branch of branchesOf(query.filter)) {
    const served = candidates.map((index) => servedBy(branch, sort, index, query.hint !== undefined)).find((v) => v.served);
    if (!served) return { served: false, why: needs(branch, sort) };
    used.add(served.by);
  }
  return { served: true, by: [...used].join(', ') };
}

function matchesHint(index: DeclaredIndex, hint: string | Record<string, number>): boolean {
  return typeof hint === 'string' ? index.name === hint : JSON.stringify(Object.entries(hint)) === JSON.stringify(index.key);
}

function servedBy(branch: Branch, sort: [string, number][], index: DeclaredIndex, hinted: boolean): Verdict {
  const no = { served: false as const, why: '' };
  // A partial index holds only documents matching its filter: usable when the query asks the same.
  const fixed = new Set<string>();
  for (const [field, predicate] of Object.entries(index.partial ?? {})) {
    if (!branch.has(field) || JSON.stringify(branch.get(field)) !== JSON.stringify(predicate)) return no;
    fixed.add(field);
  }
  const keys = index.key.map(([field]) => field);
  if (index.sparse && (!branch.has(keys[0]!) || isNullEquality(branch.get(keys[0]!)))) return no;

  const equality = [...branch].filter(([field, p]) => isEquality(p) && !fixed.has(field)).map(([field]) => field);
  if (index.unique && keys.every((field) => branch.has(field) && isEquality(branch.get(field)))) return { served: true, by: index.name };

  let position = 0;
  const remaining = new Set(equality);
  while (position < keys.length && remaining.delete(keys[position]!)) position++;
  if (remaining.size > 0) return no;
  const sortFields = sort.filter(([field]) => !equality.includes(field) && !fixed.has(field));
  let direction = 0;
  for (const [field, dir] of sortFields) {
    const indexDir = index.key[position]?.[1];
    if (keys[position] !== field || indexDir === undefined) return no;
    const relative = Math.sign(dir) === Math.sign(indexDir) ? 1 : -1;
    if (direction !== 0 && relative !== direction) return no;
    direction = relative;
    position++;
  }
  // The index must bound the scan, unless the query asks for this index to be read whole (a hint, no filter).
  if (position === 0 && !branch.has(keys[0]!) && !(hinted && branch.size === fixed.size)) return no;
  return { served: true, by: index.name };
}

/** What index the branch needs, in words (for the failure message). */
function needs(branch: Branch, sort: [string, number][]): string {
  const equality = [...branch].filter(([, p]) => isEquality(p)).map(([field]) => field);
  const range = [...branch].filter(([, p]) => !isEquality(p)).map(([field]) => field);
  const sortFields = sort.filter(([field]) => !equality.includes(field));
  const sortText = sortFields.map(([f, d]) => `${f}: ${d}`).join(', ');
  if (equality.length)
    return `no declared index starts with the equality fields ${equality.join(', ')} (any order)${sortText ? `, then the sort ${sortText}` : ''}`;
  if (sortText) return `no declared index starts with the sort ${sortText}`;
  if (range.length) return `no declared index starts with one of the range fields ${range.join(', ')}`;
  return 'it reads the whole collection (no filter, no sort, no hint)';
}

// ── the report ──────────────────────────────────────────────────────────

export interface CoverageReport {
  shapes: number;
  unserved: (RecordedQuery & { why: string })[];
}

export function checkCoverage(queries: RecordedQuery[], indexes = declaredIndexes()): CoverageReport {
  const unserved: CoverageReport['unserved'] = [];
  for (const query of queries) {
    const declared = indexes.get(query.collection);
    if (!declared) {
      unserved.push({ ...query, why: `the product declares no model for collection ${query.collection}` });
      continue;
    }
    const verdict = judge(query, declared);
    if (!verdict.served) unserved.push({ ...query, why: verdict.why });
  }
  return { shapes: queries.length, unserved };
}

export function formatUnserved(report: CoverageReport, indexes = declaredIndexes()): string {
  const lines = report.unserved.map((q) => {
    const declared = (indexes.get(q.collection) ?? []).map((i) => `{${i.key.map(([f, d]) => `${f}: ${d}`).join(', ')}}`).join(' ');
    return [
      `  ${q.collection}.${q.command} ${JSON.stringify(q.filter)}${q.sort ? ` sort ${JSON.stringify(q.sort)}` : ''}${q.hint ? ` hint ${JSON.stringify(q.hint)}` : ''}`,
      `    sent from ${q.location}`,
      `    ${q.why}`,
      `    declared on ${q.collection}: ${declared || 'none'}`,
    ].join('\n');
  });
  return (
    `index coverage: ${report.unserved.length} of ${report.shapes} query shapes the product sent are not served by a declared index ` +
    '(add or change an index in src/models, or the query; the rule is in test/support/indexCoverage.ts):\n' +
    lines.join('\n')
  );
}

/** Reads every process's recorded queries from `dir` and judges them (globalSetup, at the end of the run). */
export function checkQueries(dir: string): CoverageReport & { message: string } {
  const { EJSON } = mongoose.mongo.BSON;
  const queries: RecordedQuery[] = [];
  const seen = new Set<string>();
  for (const file of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')) : []) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      const query = EJSON.parse(line, { relaxed: true }) as RecordedQuery;
      const key = shapeKey(query);
      if (!seen.has(key)) queries.push(query);
      seen.add(key);
    }
  }
  const indexes = declaredIndexes();
  const report = checkCoverage(queries, indexes);
  const locations = new Set(queries.map((q) => q.location.replace(/ \(.*$/, ''))).size;
  const message =
    report.unserved.length > 0
      ? formatUnserved(report, indexes)
      : `${report.shapes} query shapes from ${locations} places in src/, each served by a declared index`;
  return { ...report, message };
}
