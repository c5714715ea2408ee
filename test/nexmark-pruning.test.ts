// The nexmark source makes only the columns the query reads (plan/prune-from-json.ts passes the
// column needs to a provider that readsColumns): which queries are narrowed to what, and that a
// narrowed generator makes exactly the full generator's values in the columns it makes, null in
// the others. The queries' rows against DuckDB, pruned as they run, are nexmark-differential's.
import { describe, expect, it } from 'vitest';
import { Session, type DataFrame } from '../src/index.ts';
import { planWithPrunedJson } from '../src/plan/prune-from-json.ts';
import { planQuery } from '../src/plan/planner.ts';
import { defaultConfig } from '../src/sources/nexmark/nexmark-config.ts';
import { NexmarkTimeline, READ_ALL, type NexmarkRead } from '../src/sources/nexmark/nexmark-generator.ts';
import { eventsJson } from './support/nexmark-oracle.ts';
import { nexmarkRead } from '../src/sources/nexmark/nexmark-source.ts';
import { queries } from '../examples/nexmark/queries.ts';

const session = Session.builder().appName('nexmark-pruning').getOrCreate();
const events = (): DataFrame => session.readStream.format('nexmark').option('seed', 7).load();

/** What each source of the query's plan is asked to make, as start() plans it. */
function readsOf(df: DataFrame, lateRowsPath = false): NexmarkRead[] {
  const p = (df as unknown as { plan: Parameters<typeof planQuery>[0] }).plan;
  return planWithPrunedJson(p, planQuery(p), lateRowsPath).sources.map((s) => nexmarkRead(s.readColumns));
}

const bidOnly = (bidChannel: boolean, bidExtra: boolean): NexmarkRead => ({ person: false, auction: false, bid: true, bidChannel, bidExtra });

describe('nexmark column pruning', () => {
  it('plans q0/q1 without persons, auctions and bid channel/url, q2 and q5 with bid numbers only, joins whole', () => {
    expect(readsOf(queries.q0!.build(events()))).toEqual([bidOnly(false, true)]);
    expect(readsOf(queries.q1!.build(events()))).toEqual([bidOnly(false, true)]);
    expect(readsOf(queries.q2!.build(events()))).toEqual([bidOnly(false, false)]);
    expect(readsOf(queries.q5!.build(events()))).toEqual([bidOnly(false, false)]);
    // a stream-stream join needs its sides whole (the pruning does not follow it)
    expect(readsOf(queries.q3!.build(events()))).toEqual([READ_ALL, READ_ALL]);
    // a lateRowsPath writes the stateful operator's whole input rows: nothing is left unmade
    expect(readsOf(queries.q5!.build(events()), true)).toEqual([READ_ALL]);
    // reading a person field makes the persons, and only a channel makes the channels
    const e = events();
    expect(readsOf(e.where('event_type = 0').select('person.city'))).toEqual([{ person: true, auction: false, bid: false, bidChannel: false, bidExtra: false }]);
    expect(readsOf(e.select('bid.channel'))).toEqual([{ person: false, auction: false, bid: true, bidChannel: true, bidExtra: false }]);
  });

  it('a narrowed generator makes the full one\'s values in what it makes and nulls in the rest, any range', () => {
    // out of order groups and a range that starts mid-way: the event ids are not the row numbers
    const tl = new NexmarkTimeline({ ...defaultConfig, seed: 11, outOfOrderGroupSize: 37 }, Date.UTC(2024, 0, 1));
    const rows = (read: NexmarkRead): Record<string, unknown>[] =>
      eventsJson(tl, 517, 517 + 900, read).map((j) => JSON.parse(j) as Record<string, unknown>);
    const full = rows(READ_ALL);
    const kinds = new Set(full.map((r) => r.event_type));
    expect(kinds).toEqual(new Set([0, 1, 2]));
    const reads: NexmarkRead[] = [
      bidOnly(false, true), bidOnly(false, false), bidOnly(true, false), bidOnly(true, true),
      { person: true, auction: false, bid: false, bidChannel: false, bidExtra: false },
      { person: false, auction: true, bid: true, bidChannel: false, bidExtra: true },
    ];
    for (const read of reads) {
      const got = rows(read);
      const want = full.map((r) => {
        const bid = r.bid as Record<string, unknown> | null;
        return {
          ...r,
          person: read.person ? r.person : null,
          auction: read.auction ? r.auction : null,
          bid: !read.bid || bid === null ? null
            : { ...bid, ...(read.bidChannel ? {} : { channel: null, url: null }), ...(read.bidExtra ? {} : { extra: null }) },
        };
      });
      expect(got, JSON.stringify(read)).toEqual(want);
    }
  });
});
