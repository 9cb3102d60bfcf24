import { QueryEngine } from '@push.rocks/smartmongo/dist_ts/congodb/index.js';
import type { Doc, IndexSpec } from './storage.js';

const EMPTY_ARRAY = Symbol('empty array'); // mongod indexes [] as `undefined`, not as null

/**
 * The index keys of a document, as canonical string -> keyValue (mongod's `keyValue` shape).
 * Empty when the document is not in the index (sparse without the fields, or outside the
 * partialFilterExpression). Array values give one key per element (multikey).
 */
export function indexKeys(doc: Doc, index: IndexSpec): Map<string, Doc> {
  const keys = new Map<string, Doc>();
  if (index.partialFilterExpression && !QueryEngine.matches(doc as never, index.partialFilterExpression as never)) return keys;
  const fields = Object.keys(index.key);
  const perField = fields.map((f) => valuesAt(doc, f.split('.')));
  if (index.sparse && perField.every((values) => values.every((v) => v === undefined))) return keys;
  // cartesian product over the fields' values (only one field can be an array in mongod)
  let combos: unknown[][] = [[]];
  for (const values of perField) combos = combos.flatMap((c) => values.map((v) => [...c, v]));
  for (const combo of combos) {
    keys.set(
      combo.map(canonical).join('\u0000'),
      Object.fromEntries(fields.map((f, i) => [f, combo[i] === EMPTY_ARRAY ? undefined : (combo[i] ?? null)])),
    );
  }
  return keys;
}

function valuesAt(value: unknown, path: string[]): unknown[] {
  if (Array.isArray(value)) {
    if (path.length === 0) return value.length ? value : [EMPTY_ARRAY];
    return value.flatMap((el) => valuesAt(el, path));
  }
  if (path.length === 0) return [value];
  if (value === null || typeof value !== 'object') return [undefined];
  return valuesAt((value as Doc)[path[0]!], path.slice(1));
}

/** A string equal for values mongod's index treats as equal (1 == 1.0, ObjectIds by hex, ...). */
export function canonical(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (v === EMPTY_ARRAY) return 'undefined';
  if (typeof v === 'number' || typeof v === 'bigint') return `n:${Number(v)}`;
  if (typeof v === 'string') return `s:${v}`;
  if (typeof v === 'boolean') return `b:${v}`;
  if (v instanceof Date) return `d:${v.getTime()}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const bsonType = (v as { _bsontype?: string })._bsontype;
  if (bsonType === 'ObjectId') return `o:${(v as { toHexString(): string }).toHexString()}`;
  if (bsonType === 'Long' || bsonType === 'Int32' || bsonType === 'Double' || bsonType === 'Decimal128') {
    return `n:${Number(String(v))}`;
  }
  if (bsonType) return `${bsonType}:${JSON.stringify(v)}`;
  return `{${Object.entries(v as Doc)
    .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
    .join(',')}}`;
}

/** Renders a key value the way mongod's E11000 message does. */
export function showValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if ((v as { _bsontype?: string })?._bsontype === 'ObjectId') return `ObjectId('${String(v)}')`;
  if (typeof v === 'object') return JSON.stringify(v);
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
