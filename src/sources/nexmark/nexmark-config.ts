import { OptionError } from '../../errors.ts';
import { parseTimestamp } from '../../data/cells.ts';

/**
 * The generator's knobs, named and defaulted as nexmark/nexmark's NexmarkConfiguration (Beam's
 * NexmarkConfiguration has the same ones), plus `seed`, which makes a run reproducible.
 */
export interface NexmarkConfig {
  readonly seed: number;
  /** first-event.rate: event times are 1e6 / eventsPerSecond µs apart. */
  readonly eventsPerSecond: number;
  /** events.num; 0 = unbounded. */
  readonly totalEvents: number;
  readonly personProportion: number;
  readonly auctionProportion: number;
  readonly bidProportion: number;
  readonly avgPersonByteSize: number;
  readonly avgAuctionByteSize: number;
  readonly avgBidByteSize: number;
  readonly hotAuctionRatio: number;
  readonly hotSellersRatio: number;
  readonly hotBiddersRatio: number;
  readonly numInFlightAuctions: number;
  readonly numActivePeople: number;
  /** Event times are shuffled within groups of this many events (1: in order). */
  readonly outOfOrderGroupSize: number;
}

export const defaultConfig: NexmarkConfig = {
  seed: 0, eventsPerSecond: 10_000, totalEvents: 0,
  personProportion: 1, auctionProportion: 3, bidProportion: 46,
  avgPersonByteSize: 200, avgAuctionByteSize: 500, avgBidByteSize: 100,
  hotAuctionRatio: 2, hotSellersRatio: 4, hotBiddersRatio: 4,
  numInFlightAuctions: 100, numActivePeople: 1000, outOfOrderGroupSize: 1,
};

/** Source-only options, beside the generator's. */
export interface NexmarkSourceConfig {
  readonly generator: NexmarkConfig;
  /** Event time of event 0 (ms); undefined: the query's first start, kept in the offset log. */
  readonly baseTime: number | undefined;
  /** Make events available only once their event time has passed on the wall clock (Nexmark's isRateLimited). */
  readonly rateLimited: boolean;
  readonly maxEventsPerTrigger: number;
}

export const generatorOptionNames = Object.keys(defaultConfig) as (keyof NexmarkConfig)[];
export const sourceOptionNames = [...generatorOptionNames, 'baseTime', 'rateLimited', 'maxEventsPerTrigger'];

function wholeNumber(opts: ReadonlyMap<string, string>, name: string, dflt: number, min: number): number {
  const v = opts.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new OptionError(`nexmark source option '${name}' must be a whole number >= ${min}, got '${v}'.`);
  }
  return n;
}

export function parseNexmarkOptions(opts: ReadonlyMap<string, string>): NexmarkSourceConfig {
  const g: Record<string, number> = {};
  for (const name of generatorOptionNames) {
    const min = name === 'seed' || name === 'totalEvents' || name.endsWith('Proportion') ? 0 : 1;
    g[name] = wholeNumber(opts, name, defaultConfig[name], min);
  }
  const generator = g as unknown as NexmarkConfig;
  if (generator.personProportion + generator.auctionProportion + generator.bidProportion === 0) {
    throw new OptionError('nexmark source options personProportion, auctionProportion and bidProportion are all 0: set at least one above 0.');
  }
  const bt = opts.get('baseTime');
  let baseTime: number | undefined;
  if (bt !== undefined) {
    baseTime = /^\d+$/.test(bt) ? Number(bt) : parseTimestamp(bt) ?? undefined;
    if (baseTime === undefined) throw new OptionError(`nexmark source option 'baseTime' must be ms since the epoch or an ISO timestamp, got '${bt}'.`);
  }
  const rl = (opts.get('rateLimited') ?? 'false').toLowerCase();
  if (rl !== 'true' && rl !== 'false') throw new OptionError(`nexmark source option 'rateLimited' must be true or false, got '${opts.get('rateLimited')}'.`);
  return { generator, baseTime, rateLimited: rl === 'true', maxEventsPerTrigger: wholeNumber(opts, 'maxEventsPerTrigger', 100_000, 1) };
}
