// croner over cron-parser: both are maintained (croner 11.0.1 and cron-parser 5.10.6 both released
// 2026-11-14, per `npm view`) and both take seconds, IANA zones and previous ticks, but croner has no
// dependencies where cron-parser pulls in luxon. The optional seconds field ('* * * * * *') lets tests
// tick every second; the previous tick is what the missed-tick rule asks.
import { Cron } from 'croner';
import { OptionError } from '../errors.ts';

const EXAMPLE = `e.g. trigger({ cron: '*/15 * * * *' }) for every 15 minutes, or '0 2 * * *' for 02:00 each day`;

/** A cron expression in a time zone: when the ticks of trigger({ cron }) fall. */
export class CronSchedule {
  private readonly cron: Cron;

  constructor(readonly expression: string, readonly timeZone: string = 'UTC') {
    if (typeof expression !== 'string' || expression.trim() === '') {
      throw new OptionError(`trigger cron needs a cron expression (minute hour day-of-month month day-of-week, optionally seconds first), got ${JSON.stringify(expression)}; ${EXAMPLE}.`);
    }
    try {
      this.cron = new Cron(expression, { timezone: timeZone, paused: true });
    } catch (e) {
      throw new OptionError(`trigger cron '${expression}' is not a valid cron expression: ${(e as Error).message}. ${cap(EXAMPLE)}.`, { cause: e });
    }
    // croner checks the zone only when it computes a date; a typo should fail at trigger(), not at the first tick.
    try {
      this.cron.nextRun(new Date(0));
    } catch (e) {
      throw new OptionError(`trigger cronTimeZone '${timeZone}' is not an IANA time zone; use a name such as 'UTC', 'Europe/Paris' or 'America/New_York'.`, { cause: e });
    }
    if (this.cron.nextRun(new Date()) === null) {
      throw new OptionError(`trigger cron '${expression}' never fires after now (${new Date().toISOString()}); ${EXAMPLE}.`);
    }
  }

  /** The first tick strictly after atMs, or null if the expression has no more (a past year). */
  next(atMs: number): number | null {
    return this.cron.nextRun(new Date(atMs))?.getTime() ?? null;
  }

  /** The last tick at or before atMs, or null if there was none. */
  previous(atMs: number): number | null {
    // previousRuns looks strictly before its date; a tick exactly at atMs counts as past.
    return this.cron.previousRuns(1, new Date(atMs + 1))[0]?.getTime() ?? null;
  }
}

function cap(s: string): string { return s.charAt(0).toUpperCase() + s.slice(1); }
