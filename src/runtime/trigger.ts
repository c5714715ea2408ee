import { OptionError } from '../errors.ts';
import { parseDuration } from '../util/duration.ts';

/** Spark's triggers. */
export type Trigger =
  | { readonly kind: 'processingTime'; readonly intervalMs: number }
  | { readonly kind: 'once' }
  | { readonly kind: 'availableNow' };

export type TriggerSpec = { processingTime: string | number } | { once: true } | { availableNow: true };

export function parseTrigger(t: TriggerSpec): Trigger {
  const keys = Object.keys(t ?? {});
  if (keys.length !== 1) throw new OptionError(`trigger() takes exactly one of {processingTime: '10 seconds'}, {once: true}, {availableNow: true}; got ${JSON.stringify(t)}.`);
  if ('processingTime' in t) return { kind: 'processingTime', intervalMs: parseDuration(t.processingTime, 'trigger processingTime') };
  if ('once' in t && t.once === true) return { kind: 'once' };
  if ('availableNow' in t && t.availableNow === true) return { kind: 'availableNow' };
  throw new OptionError(`trigger() takes {processingTime: '10 seconds'}, {once: true} or {availableNow: true}; got ${JSON.stringify(t)}.`);
}

/** The default trigger: the next batch as soon as the last one ends. */
export const defaultTrigger: Trigger = { kind: 'processingTime', intervalMs: 0 };
