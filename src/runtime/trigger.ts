import { OptionError } from '../errors.ts';
import { parseDuration } from '../util/duration.ts';
import { CronSchedule } from './cron-schedule.ts';

/** Spark's triggers, and cron: at each tick, what availableNow would drain at that moment. */
export type Trigger =
  | { readonly kind: 'processingTime'; readonly intervalMs: number }
  | { readonly kind: 'once' }
  | { readonly kind: 'availableNow' }
  | { readonly kind: 'cron'; readonly schedule: CronSchedule };

/** cronTimeZone: an IANA zone name; UTC unless given. */
export type TriggerSpec = { processingTime: string | number } | { once: true } | { availableNow: true } | { cron: string; cronTimeZone?: string };

export function parseTrigger(t: TriggerSpec): Trigger {
  const keys = Object.keys(t ?? {});
  if (t && 'cron' in t) {
    const extra = keys.filter((k) => k !== 'cron' && k !== 'cronTimeZone');
    if (extra.length > 0) throw new OptionError(`trigger({ cron }) takes only cron and cronTimeZone, got ${extra.join(', ')} too: ${JSON.stringify(t)}.`);
    return { kind: 'cron', schedule: new CronSchedule(t.cron, t.cronTimeZone ?? 'UTC') };
  }
  if (keys.length !== 1) throw new OptionError(`trigger() takes exactly one of {processingTime: '10 seconds'}, {once: true}, {availableNow: true}, {cron: '*/15 * * * *'}; got ${JSON.stringify(t)}.`);
  if ('processingTime' in t) return { kind: 'processingTime', intervalMs: parseDuration(t.processingTime, 'trigger processingTime') };
  if ('once' in t && t.once === true) return { kind: 'once' };
  if ('availableNow' in t && t.availableNow === true) return { kind: 'availableNow' };
  throw new OptionError(`trigger() takes {processingTime: '10 seconds'}, {once: true} or {availableNow: true}, {cron: '*/15 * * * *'}; got ${JSON.stringify(t)}.`);
}

/** The default trigger: the next batch as soon as the last one ends. */
export const defaultTrigger: Trigger = { kind: 'processingTime', intervalMs: 0 };

/** Session conf that gives queries without a trigger() of their own a cron trigger (what `sluice run --cron` sets). */
export const CRON_CONF = 'sluice.trigger.cron';
export const CRON_TIME_ZONE_CONF = 'sluice.trigger.cronTimeZone';

/** The trigger of a query that did not call trigger(): cron if the session's conf asks for it, else the default. */
export function sessionTrigger(conf: ReadonlyMap<string, string>): Trigger {
  const cron = conf.get(CRON_CONF);
  if (cron === undefined) return defaultTrigger;
  try {
    return { kind: 'cron', schedule: new CronSchedule(cron, conf.get(CRON_TIME_ZONE_CONF) ?? 'UTC') };
  } catch (e) {
    throw new OptionError(`Session conf ${CRON_CONF}: ${(e as Error).message}`, { cause: e });
  }
}
