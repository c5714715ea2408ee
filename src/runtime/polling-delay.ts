import { parseDuration } from '../util/duration.ts';

/**
 * How long the default trigger waits before asking the sources again after a trigger found no
 * new data: Spark's spark.sql.streaming.pollingDelay, 10 ms by default. It bounds the latency a
 * record pays for arriving while the loop is idle (at 100 ms, the loop's old fixed sleep, that was
 * ~50 ms on average and up to 100 ms). A Fetch long poll that wakes on data would need no delay at
 * all, but the test broker does not wake one: librdkafka 2.0.2's mock holds a Fetch for its whole
 * maxWait and then answers empty even when records arrived meanwhile (measured: a 1000 ms Fetch
 * on an empty partition, a record produced 50 ms in, came back after 1006 ms with 0 bytes).
 * An idle poll costs one Metadata and one ListOffsets request, sent together (~0.7 ms of CPU, measured).
 */
export const POLLING_DELAY_CONF = 'spark.sql.streaming.pollingDelay';
const DEFAULT_POLLING_DELAY_MS = 10;

export function pollingDelayMs(conf: ReadonlyMap<string, string>): number {
  const v = conf.get(POLLING_DELAY_CONF) ?? conf.get('sluice.pollingDelay');
  return v === undefined ? DEFAULT_POLLING_DELAY_MS : parseDuration(v, `Session conf ${POLLING_DELAY_CONF}`);
}
