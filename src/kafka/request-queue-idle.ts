import { patchKafkajs } from './kafkajs-patch.ts';

/** What this fix reads of kafkajs 2.2.4's RequestQueue (src/network/requestQueue/index.js). */
interface KafkajsRequestQueue { pending: unknown[]; scheduleCheckPendingRequests(): void }

/**
 * kafkajs 2.2.4's RequestQueue, after every response, schedules its next look at the pending
 * requests even when none is pending: the delay is then `throttledUntil - Date.now()`, negative,
 * so the timer fires at once and schedules itself again, for as long as the connection is open
 * (kafkajs issue #1556; the fix in PR #1667 was never merged, and kafkajs has had no release since).
 * Measured on an idle query: ~1000 timers a second per broker connection, most of the CPU an idle
 * query used. Here the look is scheduled only when a request is pending, as the queue's own comment
 * intends; a request that must wait (throttled, or too many in flight) is queued by push(), which
 * schedules its look then, and every response looks again.
 */
export function stopIdleRequestChecks(): void {
  patchKafkajs<KafkajsRequestQueue, 'scheduleCheckPendingRequests'>('network/requestQueue/index.js', 'scheduleCheckPendingRequests', 'sluice.kafkajs.idleRequestChecks',
    (schedule) => function (this: KafkajsRequestQueue): void {
      if (this.pending.length === 0) return;
      schedule.call(this);
    });
}
