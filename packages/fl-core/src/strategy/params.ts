import { z } from 'zod';
import { boundedNumber } from '../protocol/boundedNumber.ts';

/** One numeric option of a strategy: the single source of its validation, default and form field. */
export interface ParamSpec<K extends string = string> {
  key: K;
  label: string;
  description: string;
  default: number;
  min: number;
  max: number;
  /** The minimum itself is not allowed (a learning rate of 0). */
  exclusiveMin?: boolean;
  integer?: boolean;
}

export type OptionsOf<P extends readonly ParamSpec[]> = { [S in P[number] as S['key']]: number };

/** The zod schema of a strategy's options: every key optional on input, its default filled in. */
export function optionsSchema<P extends readonly ParamSpec[]>(params: P): z.ZodType<OptionsOf<P>> {
  const shape: Record<string, z.ZodTypeAny> = {};
  for (const p of params) shape[p.key] = boundedNumber(p).default(p.default);
  // prefault, not default: an absent options object still gets every option's default filled in.
  return z.strictObject(shape).prefault({}) as unknown as z.ZodType<OptionsOf<P>>;
}
