/**
 * The Nexmark queries (nexmark/nexmark queries/qN.sql), written with sluice's DataFrame API as a
 * Spark user would port the Flink SQL. Each takes the nexmark table (format('nexmark'), or Kafka
 * JSON through from_json) and returns the streaming DataFrame to write; a query whose last step is
 * a per-batch one (q5) also has `perBatch`, for foreachBatch.
 *
 * q4 and q9 are Flink's unwindowed aggregations that retract as bids come; here a winning bid is
 * final when its auction expires (winning-bids.ts), and q4 averages those in update mode.
 */
import { avg, coalesce, col, count, current_timestamp, expr, max, session_window, window, window_time, type DataFrame } from '../../src/index.ts';
import { AUCTION, BID, auctions, bids, persons } from './views.ts';
import { WINNING_BID_SCHEMA, WinningBids } from './winning-bids.ts';

/** Flink's tables declare `WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND`. */
export const WATERMARK_DELAY = '4 seconds';

export interface NexmarkQuery {
  readonly name: string;
  readonly title: string;
  /** Flink 1.13 events/s per core (nexmark/nexmark README, 8 TaskManagers, RocksDB). */
  readonly flinkPerCore: number;
  /** The streaming part. */
  readonly build: (events: DataFrame) => DataFrame;
  /** The output mode to run it in: append unless the query says (q4's average keeps changing: update). */
  readonly outputMode?: 'append' | 'update';
  /** A last step over each micro-batch's output rows (run it in foreachBatch). */
  readonly perBatch?: (batch: DataFrame) => Record<string, unknown>[];
}

/** q0: pass-through, the cost of reading and writing. */
const q0 = (events: DataFrame): DataFrame => bids(events).select('auction', 'bidder', 'price', 'dateTime', 'extra');

/**
 * q1: dollars to euros. Flink's `0.908 * price` is DECIMAL(23, 3); Spark's, written the same way,
 * is decimal(24,3) (0.908 is decimal(3,3), a bigint decimal(20,0)). `col('price') * 0.908` would be
 * a double, as in PySpark, where 0.908 is a Python float.
 */
const q1 = (events: DataFrame): DataFrame =>
  bids(events).select(col('auction'), col('bidder'), expr('0.908 * price').alias('price'), col('dateTime'), col('extra'));

/** q2: selection. */
const q2 = (events: DataFrame): DataFrame => bids(events).where(col('auction').mod(123).equalTo(0)).select('auction', 'price');

/**
 * q3: local item suggestion. Flink's regular join: no watermark bounds it, so both sides' rows stay
 * in the join's state for good (as in Flink without a state TTL).
 */
const q3 = (events: DataFrame): DataFrame => {
  const a = auctions(events).where(col('category').equalTo(10)).select(col('id').alias('a_id'), col('seller'));
  const p = persons(events).where(col('state').isin('OR', 'ID', 'CA')).select(col('id').alias('p_id'), col('name'), col('city'), col('state'));
  return a.join(p, expr('seller = p_id')).select(col('name'), col('city'), col('state'), col('a_id').alias('id'));
};

/**
 * q8: new users, people who opened an auction in the 10-second window they registered in. Flink
 * aggregates each side per window and then joins; sluice joins first (on the person and the
 * window, so the join's state is evicted by the watermark) and then aggregates the pairs, one row
 * per person and window, closed once the join's output watermark passes the window.
 */
const q8 = (events: DataFrame): DataFrame => {
  const p = persons(events).withWatermark('dateTime', WATERMARK_DELAY).select(col('id'), col('name'), window(col('dateTime'), '10 seconds').alias('p_window'));
  const a = auctions(events).withWatermark('dateTime', WATERMARK_DELAY).select(col('seller'), window(col('dateTime'), '10 seconds').alias('a_window'));
  return p.join(a, expr('id = seller AND p_window = a_window'))
    .groupBy(col('id'), col('name'), col('p_window')).agg(count('*').alias('auctions'))
    .select(col('id'), col('name'), col('p_window.start').alias('starttime'));
};

/** q5, first half: bids per auction in 10-second windows every 2 seconds (HOP). */
const q5 = (events: DataFrame): DataFrame =>
  bids(events).withWatermark('dateTime', WATERMARK_DELAY)
    .groupBy(window(col('dateTime'), '10 seconds', '2 seconds'), col('auction'))
    .agg(count('*').alias('num'))
    .select(col('auction'), col('num'), col('window.start').alias('starttime'), col('window.end').alias('endtime'));

/**
 * q7: highest bid, the bids of each 10-second window whose price is that window's maximum (ties
 * all kept, as Flink's join keeps them). Flink joins the window's max back to the bids with
 * `B.price = B1.maxprice AND B.dateTime BETWEEN B1.window_end - 10 s AND B1.window_end`; here the
 * same join is a stream-stream join whose right side aggregates first (Spark 4, SPARK-49829). Its
 * time range is written on window_time (the window's end - 1 ms, the column that carries the
 * aggregation's watermark), so the join can drop bids the range puts out of reach; the bounds are
 * Flink's, both inclusive. A window's max reaches the join in the batch whose watermark closes the
 * window, and meets the bids still in the join's state.
 */
const q7 = (events: DataFrame): DataFrame => {
  const maxes = bids(events).withWatermark('dateTime', WATERMARK_DELAY)
    .groupBy(window(col('dateTime'), '10 seconds')).agg(max('price').alias('maxprice'))
    .select(col('maxprice'), window_time(col('window')).alias('window_time'));
  const b = bids(events).withWatermark('dateTime', WATERMARK_DELAY).select('auction', 'price', 'bidder', 'dateTime', 'extra');
  return b.join(maxes, expr('price = maxprice AND dateTime BETWEEN window_time - interval 9999 milliseconds AND window_time + interval 1 millisecond'))
    .select('auction', 'price', 'bidder', 'dateTime', 'extra');
};

/**
 * q9: winning bids, one row per expired auction with its highest valid bid (winning-bids.ts). The
 * auctions and bids go in as one stream keyed by auction id, with the events' own time as the
 * watermark's column; the processor's timers fire on it.
 */
const q9 = (events: DataFrame): DataFrame =>
  events.where(col('event_type').isin(AUCTION, BID))
    .select(
      coalesce(col('auction.id'), col('bid.auction')).alias('id'), col('event_type'), col('dateTime'),
      col('auction.itemName'), col('auction.description'), col('auction.initialBid'), col('auction.reserve'), col('auction.expires'),
      col('auction.seller'), col('auction.category'), col('auction.extra').alias('auction_extra'),
      col('bid.bidder'), col('bid.price'), col('bid.extra').alias('bid_extra'))
    .withWatermark('dateTime', WATERMARK_DELAY)
    .groupBy('id').transformWithState(new WinningBids(), { outputSchema: WINNING_BID_SCHEMA, outputMode: 'append', timeMode: 'eventTime' });

/**
 * q4: average winning price per category, over q9's winners. Flink's is an unwindowed average that
 * retracts; here it is an aggregation chained after the transformWithState, in update mode: each
 * batch writes the categories whose average changed, and the last row of a category is the
 * average over every auction that has expired so far. (The chain check, Spark's rule in
 * plan/check-chain.ts, refuses only an update-mode aggregation followed by an operator the watermark bounds.)
 * Per window of expiry would need the winners' event time re-declared after transformWithState,
 * which sluice does not have yet; and it would answer another question than Flink's q4.
 */
const q4 = (events: DataFrame): DataFrame =>
  q9(events).groupBy('category').agg(avg('price').alias('avg_price'));

/**
 * q5, second half: the auctions with the most bids in each window (ties kept, as Flink's
 * `num >= maxn` join). A per-batch step is exact here: in append mode a window is emitted whole,
 * every auction's count in the one batch whose watermark passes the window's end. sluice has no
 * groupBy on a static DataFrame yet (plan-static.ts refuses it), so the per-window maximum is a
 * few lines over the batch's rows; with several stateful operators per query (branch multi-op)
 * it becomes a second groupBy on the stream.
 */
export function hotItems(batch: DataFrame): Record<string, unknown>[] {
  const rows = batch.collect();
  const maxByWindow = new Map<number, number>();
  const start = (r: Record<string, unknown>): number => (r.starttime as Date).getTime();
  for (const r of rows) maxByWindow.set(start(r), Math.max(maxByWindow.get(start(r)) ?? 0, Number(r.num)));
  return rows.filter((r) => Number(r.num) >= maxByWindow.get(start(r))!);
}

/** q11: bids per bidder session, closed after 10 seconds without a bid. */
const q11 = (events: DataFrame): DataFrame =>
  bids(events).withWatermark('dateTime', WATERMARK_DELAY)
    .groupBy(col('bidder'), session_window(col('dateTime'), '10 seconds'))
    .agg(count('*').alias('bid_count'))
    .select(col('bidder'), col('bid_count'), col('session_window.start').alias('starttime'), col('session_window.end').alias('endtime'));

/**
 * q12: bids per bidder in 10-second processing-time windows. Flink's PROCTIME() is each row's
 * arrival; Spark's and sluice's nearest is current_timestamp(), one time per micro-batch, logged in
 * the offset log, so a batch re-run after a crash lands in the same windows. A window closes once
 * a later batch starts past its end (watermark 0 on the batch time).
 */
const q12 = (events: DataFrame): DataFrame =>
  bids(events).withColumn('p_time', current_timestamp()).withWatermark('p_time', '0 seconds')
    .groupBy(col('bidder'), window(col('p_time'), '10 seconds'))
    .agg(count('*').alias('bid_count'))
    .select(col('bidder'), col('bid_count'), col('window.start').alias('starttime'), col('window.end').alias('endtime'));

export const queries: Readonly<Record<string, NexmarkQuery>> = {
  q0: { name: 'q0', title: 'pass-through', flinkPerCore: 155_000, build: q0 },
  q1: { name: 'q1', title: 'currency conversion', flinkPerCore: 158_000, build: q1 },
  q2: { name: 'q2', title: 'selection', flinkPerCore: 175_000, build: q2 },
  q3: { name: 'q3', title: 'local item suggestion (join)', flinkPerCore: 152_000, build: q3 },
  q4: { name: 'q4', title: 'average winning price per category (winning bids, then an aggregation)', flinkPerCore: 34_000, build: q4, outputMode: 'update' },
  q5: { name: 'q5', title: 'hot items (sliding window)', flinkPerCore: 22_000, build: q5, perBatch: hotItems },
  q7: { name: 'q7', title: 'highest bid (window max, then a join back to the bids)', flinkPerCore: 12_000, build: q7 },
  q8: { name: 'q8', title: 'new users (windowed join, then aggregation)', flinkPerCore: 146_000, build: q8 },
  q9: { name: 'q9', title: 'winning bids (transformWithState per auction)', flinkPerCore: 14_000, build: q9 },
  q11: { name: 'q11', title: 'user sessions (session window)', flinkPerCore: 40_000, build: q11 },
  q12: { name: 'q12', title: 'processing-time window', flinkPerCore: 76_000, build: q12 },
};
