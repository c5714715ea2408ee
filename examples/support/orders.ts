/**
 * The orders of examples/orders-spark.ts, made from their index alone, so a test can produce
 * exactly the events that wrote checkpoints.example/ (same keys, so the same partitions and
 * offsets), then more after them.
 */
export type Order = {
  readonly order_id: string;
  readonly user_id: string;
  readonly amount: number;
  /** ISO-8601 text, as a producer would send it; from_json casts it to a timestamp. */
  readonly event_time: string;
};

/** Event time of order 0; order i is about i * SPACING_MS later. */
export const ORDERS_START_MS = Date.UTC(2024, 0, 1, 10);
export const ORDER_SPACING_MS = 6000;
/** How far an order's event time may run behind its place in the stream (the 10-minute watermark delay covers it many times). */
export const ORDER_JITTER_MS = 80_000;

/** Order i: one every 6 s of event time (200 orders span 20 minutes), up to 80 s out of order, from 20 users. */
export function order(i: number): Order {
  const t = ORDERS_START_MS + i * ORDER_SPACING_MS + ((i * 7919) % 5) * (ORDER_JITTER_MS / 4);
  return { order_id: `o-${i}`, user_id: `u-${i % 20}`, amount: ((i * 37) % 100) + 0.5, event_time: new Date(t).toISOString() };
}
