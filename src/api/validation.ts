import type { z } from 'zod';

type Issue = z.core.$ZodRawIssue;

const UNITS: Record<string, [string, string]> = { string: ['character', 'characters'], array: ['item', 'items'], set: ['item', 'items'] };

/** `3 characters`, or undefined for numbers and dates. */
function countOf(origin: string | undefined, bound: unknown): string | undefined {
  const unit = UNITS[origin ?? ''];
  if (!unit) return undefined;
  const n = Number(bound);
  return `${n} ${n === 1 ? unit[0] : unit[1]}`;
}

/** Messages for people (and scripts) that name what is expected, never echoing the value sent. */
export function describeIssue(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${issue.expected === 'object' || issue.expected === 'array' ? 'an' : 'a'} ${issue.expected}`;
    case 'too_small': {
      const count = countOf(issue.origin, issue.minimum);
      if (count) return `must have at least ${count}`;
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${Number(issue.minimum)}`;
    }
    case 'too_big': {
      const count = countOf(issue.origin, issue.maximum);
      if (count) return `must have at most ${count}`;
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${Number(issue.maximum)}`;
    }
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`}`;
    case 'invalid_format':
      return issue.format === 'regex'
        ? 'has the wrong format'
        : `must be ${issue.format === 'datetime' ? 'an ISO 8601 date-time' : `a valid ${issue.format}`}`;
    case 'not_multiple_of':
      return `must be a multiple of ${Number(issue.divisor)}`;
    default:
      return undefined;
  }
}

/**
 * Validates one part of a request; problems go into `errors` as field → message, the field
 * a dotted path (`ip_lock.entries.0`), `<part>` itself when the whole part is wrong.
 */
export function validatePart<T extends z.ZodType>(
  schema: T,
  value: unknown,
  part: string,
  errors: Record<string, string>,
): z.output<T> | undefined {
  const result = schema.safeParse(value, { error: describeIssue });
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors[[...issue.path, key].join('.')] ??= 'is not a field of this request';
      continue;
    }
    errors[issue.path.length > 0 ? issue.path.join('.') : part] ??= issue.message;
  }
  return undefined;
}
