// The oracle of the Nexmark tests (test/nexmark-differential.test.ts, test/nexmark-crash.test.ts):
// the generator's bids as JSON lines for DuckDB, the watermark model that replays a query's batches
// (which (bid, window) pairs are late, the watermark each batch must run with), and the expected
// answers of q5, q8 and q11 in DuckDB's batch SQL.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { defaultConfig, type NexmarkConfig } from '../../src/sources/nexmark/nexmark-config.ts';
import { NexmarkTimeline, READ_ALL, generateEvents, type NexmarkRead } from '../../src/sources/nexmark/nexmark-generator.ts';
import { toArrowTable } from '../../src/data/batch.ts';
import { duckQuery } from './duck.ts';

/** Events [from, to) of `tl`, each row as its JSON text (longs as strings), with the columns `read` makes. */
export function eventsJson(tl: NexmarkTimeline, from: number, to: number, read: NexmarkRead = READ_ALL): string[] {
  return toArrowTable(generateEvents(tl, from, to, read)).toArray().map((r) => JSON.stringify(r.toJSON(), (_k, v) => typeof v === 'bigint' ? String(v) : v));
}

export const DELAY_MS = 4_000;
export { defaultConfig };


export interface BidEv { k: number; auction: number; bidder: number; price: number; channel: string; url: string; t: number; extra: string }

/** The generator's bids among events [0, n), each with its event number k. */
export function bidsOf(config: NexmarkConfig, n: number, baseTime: number): BidEv[] {
  const tl = new NexmarkTimeline(config, baseTime), out: BidEv[] = [];
  for (let from = 0; from < n; from += 10_000) {
    const t = toArrowTable(generateEvents(tl, from, Math.min(from + 10_000, n)));
    const type = t.getChild('event_type')!, bid = t.getChild('bid')!;
    for (let i = 0; i < t.numRows; i++) {
      if (type.get(i) !== 2) continue;
      const b = bid.get(i)!.toJSON() as Record<string, unknown>;
      out.push({
        k: from + i, auction: Number(b.auction), bidder: Number(b.bidder), price: Number(b.price),
        channel: b.channel as string, url: b.url as string, t: Number(b.dateTime), extra: b.extra as string,
      });
    }
  }
  return out;
}

export const sqlStr = (s: string): string => `'${s.replace(/'/g, "''")}'`;
export async function jsonFile(dir: string, name: string, rows: readonly object[]): Promise<string> {
  const f = path.join(dir, name);
  await fs.writeFile(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return f;
}
export const bidsSql = (f: string): string =>
  `read_json(${sqlStr(f)}, format = 'newline_delimited', columns = {k: 'BIGINT', auction: 'BIGINT', bidder: 'BIGINT', price: 'BIGINT', channel: 'VARCHAR', url: 'VARCHAR', t: 'BIGINT', extra: 'VARCHAR'})`;
export const parquet = (dir: string): string => `read_parquet(${sqlStr(dir + '/**/*.parquet')})`;
export const iso = (ms: number): string => new Date(ms).toISOString();
export const lines = (rows: Record<string, unknown>[], cols: string[]): string[] => rows.map((r) => cols.map((c) => String(r[c])).join('|')).sort();

/** Every sliding window [s, s + size) with s a multiple of the slide and s <= t < s + size. */
export function windowStarts(t: number, size: number, slide: number): number[] {
  const out: number[] = [];
  for (let s = Math.floor(t / slide) * slide; s + size > t; s -= slide) if (s <= t) out.push(s);
  return out;
}

/** One batch as the engine ran it: its bids, the watermark it ran with, and the rows it dropped (when known). */
export interface RanBatch { readonly id: number; readonly bids: readonly BidEv[]; readonly watermarkMs: number; readonly dropped?: number }

/**
 * Replays the batches over the model: checks each batch's watermark (W(N) = max bid time seen
 * before it − the delay) and numRowsDroppedByWatermark, and returns the late (k, window start) pairs
 * (window end <= the previous batch's watermark, Spark's rule) and the last watermark.
 */
export function replayWindows(batches: readonly RanBatch[], size: number, slide: number): { late: { k: number; wstart: number }[]; finalW: number } {
  let w = 0, prevW = 0, maxSeen = -Infinity;
  const late: { k: number; wstart: number }[] = [];
  for (const b of batches) {
    expect(iso(b.watermarkMs), `batch ${b.id}: watermark`).toBe(iso(w));
    let dropped = 0;
    for (const e of b.bids) {
      maxSeen = Math.max(maxSeen, e.t);
      for (const ws of windowStarts(e.t, size, slide)) if (ws + size <= prevW) { late.push({ k: e.k, wstart: ws }); dropped++; }
    }
    if (b.dropped !== undefined) expect(b.dropped, `batch ${b.id}: rows dropped by the watermark`).toBe(dropped);
    prevW = w;
    if (maxSeen > -Infinity) w = Math.max(w, maxSeen - DELAY_MS);
  }
  // The engine runs a no-data batch whenever the watermark moved, so the last one ran with the final W.
  expect(w, 'the last batch ran with the final watermark').toBe(prevW);
  return { late, finalW: w };
}

/** q5's counts per (auction, 10 s window every 2 s), minus the late pairs, windows closed by `finalW`. */
export async function expectedQ5(bidsFile: string, lateFile: string, finalW: number): Promise<{ counts: string[]; hot: string[] }> {
  const sql = `WITH ev AS (SELECT * FROM ${bidsSql(bidsFile)}),
    late AS (SELECT * FROM read_json(${sqlStr(lateFile)}, format = 'newline_delimited', columns = {k: 'BIGINT', wstart: 'BIGINT'})),
    pairs AS (SELECT ev.*, (t // 2000 - r) * 2000 AS wstart FROM ev, range(0, 6) AS x(r)),
    inwin AS (SELECT * FROM pairs WHERE wstart <= t AND t < wstart + 10000),
    kept AS (SELECT * FROM inwin ANTI JOIN late USING (k, wstart)),
    counts AS (SELECT auction, count(*) AS num, wstart FROM kept GROUP BY auction, wstart HAVING wstart + 10000 <= ${finalW})
    SELECT auction, num, wstart, num = max(num) OVER (PARTITION BY wstart) AS hot FROM counts`;
  const rows = await duckQuery(sql);
  const line = (r: Record<string, unknown>): string => `${r.auction}|${r.num}|${iso(Number(r.wstart))}`;
  return { counts: rows.map(line).sort(), hot: rows.filter((r) => r.hot).map(line).sort() };
}

/** q11's sessions: bids of a bidder less than or exactly 10 s apart share one (touching windows merge, as Spark's). */
export async function expectedQ11(bidsFile: string, finalW: number): Promise<string[]> {
  const rows = await duckQuery(`WITH ev AS (SELECT bidder, t FROM ${bidsSql(bidsFile)}),
    marked AS (SELECT *, CASE WHEN t - lag(t) OVER (PARTITION BY bidder ORDER BY t) <= 10000 THEN 0 ELSE 1 END AS fresh FROM ev),
    numbered AS (SELECT *, sum(fresh) OVER (PARTITION BY bidder ORDER BY t ROWS UNBOUNDED PRECEDING) AS sid FROM marked)
    SELECT bidder, count(*) AS n, min(t) AS s, max(t) + 10000 AS e FROM numbered GROUP BY bidder, sid HAVING max(t) + 10000 <= ${finalW}`);
  return rows.map((r) => `${r.bidder}|${r.n}|${iso(Number(r.s))}|${iso(Number(r.e))}`).sort();
}

export async function actualQ11(out: string): Promise<string[]> {
  const rows = await duckQuery(`SELECT bidder, bid_count, epoch_ms(starttime) AS s, epoch_ms(endtime) AS e FROM ${parquet(out)}`);
  return rows.map((r) => `${r.bidder}|${r.bid_count}|${iso(Number(r.s))}|${iso(Number(r.e))}`).sort();
}

/** The generator's persons and auctions among events [0, n), as JSON-lines files for DuckDB (times in ms). */
export async function personsAndAuctions(dir: string, config: NexmarkConfig, n: number, baseTime: number): Promise<{ persons: string; auctions: string }> {
  const tl = new NexmarkTimeline(config, baseTime);
  const num = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.getTime() : v);
  const flat = (o: Record<string, unknown>): object => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, num(v)]));
  const ps: object[] = [], as: object[] = [];
  for (let from = 0; from < n; from += 10_000) {
    for (const r of toArrowTable(generateEvents(tl, from, Math.min(from + 10_000, n))).toArray()) {
      const e = r.toJSON() as { event_type: number; person: { toJSON(): Record<string, unknown> } | null; auction: { toJSON(): Record<string, unknown> } | null };
      if (e.event_type === 0) ps.push(flat(e.person!.toJSON()));
      if (e.event_type === 1) as.push(flat(e.auction!.toJSON()));
    }
  }
  const P = await jsonFile(dir, 'persons.json', ps), A = await jsonFile(dir, 'auctions.json', as);
  return {
    persons: `read_json(${sqlStr(P)}, format = 'newline_delimited', columns = {id: 'BIGINT', name: 'VARCHAR', city: 'VARCHAR', state: 'VARCHAR', dateTime: 'BIGINT'})`,
    auctions: `read_json(${sqlStr(A)}, format = 'newline_delimited', columns = {id: 'BIGINT', seller: 'BIGINT', category: 'BIGINT', dateTime: 'BIGINT'})`,
  };
}

/** q8's new users: a person and an auction they opened in the same 10 s window, for the windows the watermark closed. */
export async function expectedQ8(tables: { persons: string; auctions: string }, finalW: number): Promise<string[]> {
  const rows = await duckQuery(`SELECT DISTINCT P.id, P.name, P.dateTime // 10000 * 10000 AS s FROM ${tables.persons} AS P JOIN ${tables.auctions} AS A
    ON P.id = A.seller AND P.dateTime // 10000 = A.dateTime // 10000 WHERE P.dateTime // 10000 * 10000 + 10000 <= ${finalW}`);
  return lines(rows, ['id', 'name', 's']);
}

export async function actualQ8(out: string): Promise<string[]> {
  return lines(await duckQuery(`SELECT id, name, epoch_ms(starttime) AS s FROM ${parquet(out)}`), ['id', 'name', 's']);
}

/**
 * The bids a batch drops by the watermark as rows of their own event time (a join's side, a
 * transformWithState input): time at or before the previous batch's watermark, as replayWindows
 * runs the batches (it checks those watermarks).
 */
export function lateByTime(batches: readonly { readonly bids: readonly { k: number; t: number }[] }[]): number[] {
  let w = 0, prevW = 0, maxSeen = -Infinity;
  const late: number[] = [];
  for (const b of batches) {
    for (const e of b.bids) { maxSeen = Math.max(maxSeen, e.t); if (e.t <= prevW) late.push(e.k); }
    prevW = w;
    if (maxSeen > -Infinity) w = Math.max(w, maxSeen - DELAY_MS);
  }
  return late;
}

/**
 * q7 as Flink's SQL: each 10 s window's max price (over the bids the aggregation kept), joined back
 * to the bids the join kept whose time is in [window end - 10 s, window end], for the windows the
 * watermark closed. Late files hold {k, wstart} (the aggregation's) and {k} (the join's).
 */
export async function expectedQ7(bidsFile: string, aggLateFile: string, joinLateFile: string, finalW: number): Promise<string[]> {
  const rows = await duckQuery(`WITH ev AS (SELECT * FROM ${bidsSql(bidsFile)}),
    agglate AS (SELECT * FROM read_json(${sqlStr(aggLateFile)}, format = 'newline_delimited', columns = {k: 'BIGINT', wstart: 'BIGINT'})),
    joinlate AS (SELECT * FROM read_json(${sqlStr(joinLateFile)}, format = 'newline_delimited', columns = {k: 'BIGINT'})),
    m AS (SELECT t // 10000 * 10000 + 10000 AS wend, max(price) AS maxprice FROM ev WHERE k NOT IN (SELECT k FROM agglate) GROUP BY 1)
    SELECT B.auction, B.price, B.bidder, B.t FROM ev AS B JOIN m ON B.price = m.maxprice AND B.t BETWEEN m.wend - 10000 AND m.wend
    WHERE m.wend <= ${finalW} AND B.k NOT IN (SELECT k FROM joinlate)`);
  return lines(rows, ['auction', 'price', 'bidder', 't']);
}

export async function actualQ7(out: string): Promise<string[]> {
  return lines(await duckQuery(`SELECT auction, price, bidder, epoch_ms("dateTime") AS t FROM ${parquet(out)}`), ['auction', 'price', 'bidder', 't']);
}

export interface AuctionEv { k: number; id: number; t: number; expires: number; category: number }

/** The generator's auctions among events [0, n), each with its event number k (times in ms). */
export function auctionsOf(config: NexmarkConfig, n: number, baseTime: number): AuctionEv[] {
  const tl = new NexmarkTimeline(config, baseTime), out: AuctionEv[] = [];
  for (let from = 0; from < n; from += 10_000) {
    const t = toArrowTable(generateEvents(tl, from, Math.min(from + 10_000, n)));
    const type = t.getChild('event_type')!, auction = t.getChild('auction')!;
    for (let i = 0; i < t.numRows; i++) {
      if (type.get(i) !== 1) continue;
      const a = auction.get(i)!.toJSON() as Record<string, unknown>;
      out.push({ k: from + i, id: Number(a.id), t: Number(a.dateTime), expires: Number(a.expires), category: Number(a.category) });
    }
  }
  return out;
}

/**
 * q9 as Flink's SQL (ROW_NUMBER over auction ⋈ bid with the bid inside the auction's life, highest
 * price first, then the earliest bid, then the first generated), over the events transformWithState
 * kept (`lateFile`: {k} of those at or before W(N-1)), for the auctions whose expiry the watermark passed.
 */
export async function expectedQ9(bidsFile: string, auctionsFile: string, lateFile: string, finalW: number): Promise<Record<string, unknown>[]> {
  return duckQuery(`WITH late AS (SELECT k FROM read_json(${sqlStr(lateFile)}, format = 'newline_delimited', columns = {k: 'BIGINT'})),
    A AS (SELECT * FROM read_json(${sqlStr(auctionsFile)}, format = 'newline_delimited', columns = {k: 'BIGINT', id: 'BIGINT', t: 'BIGINT', expires: 'BIGINT', category: 'BIGINT'})
      WHERE k NOT IN (SELECT k FROM late)),
    B AS (SELECT * FROM ${bidsSql(bidsFile)} WHERE k NOT IN (SELECT k FROM late)),
    J AS (SELECT A.id, A.category, A.expires, B.bidder, B.price, B.t, row_number() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.t, B.k) AS rn
      FROM A JOIN B ON A.id = B.auction AND B.t BETWEEN A.t AND A.expires WHERE A.expires <= ${finalW})
    SELECT id, category, expires, bidder, price, t FROM J WHERE rn = 1`);
}
