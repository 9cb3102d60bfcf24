import cron from 'node-cron';
import { z } from 'zod';

/** The kinds of environment value the configuration schema (config.ts) is built from; each names its unit in its error. */

export const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

export const positiveNumber = (fallback: number, unit: string) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: `must be a number of ${unit}` })
      .refine((n) => Number.isFinite(n) && n > 0, `must be a positive number of ${unit}`)
      .default(fallback),
  );

export const nonNegativeNumber = (fallback: number, unit: string) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: `must be a number of ${unit}` })
      .refine((n) => Number.isFinite(n) && n >= 0, `must be zero (off) or a positive number of ${unit}`)
      .default(fallback),
  );

export const integerIn = (fallback: number, min: number, max: number, what: string) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: `must be ${what}` })
      .refine((n) => Number.isInteger(n) && n >= min && n <= max, `must be ${what}`)
      .default(fallback),
  );

export const cronExpression = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(fallback)
      .refine((expr) => cron.validate(expr), 'must be a valid cron expression (node-cron syntax)'),
  );

export const booleanFlag = (fallback: boolean) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? emptyToUndefined(value.trim().toLowerCase()) : value),
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .optional()
      .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v))),
  );
