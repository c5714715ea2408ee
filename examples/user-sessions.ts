/**
 * A session per user that ends after 24 hours without events: transformWithState with a TTL, the
 * seed's advice ("plan for state cleanup (TTL on state, explicit expiration) to prevent unbounded
 * state growth") in one line, `{ ttlMs: DAY_MS }`.
 *
 *   npx tsx examples/user-sessions.ts
 *
 * Each event updates the user's session, and an update restarts its TTL (Spark's rule): a user
 * silent for 24 hours of processing time has no session any more, and the row is removed from the
 * checkpointed state at the end of the batch where it expires, with no timer to register and no
 * cleanup code. The next event starts a new session. Spark 4 (PySpark) reads the same way:
 *
 *   class UserSessions(StatefulProcessor):
 *       def init(self, handle):
 *           self.session = handle.getValueState("session", schema, ttlDurationMs=24 * 3600 * 1000)
 *       def handleInputRows(self, key, rows, timerValues): ...
 *   df.groupBy("user_id").transformWithStateInPandas(UserSessions(), outputSchema, "Update", "ProcessingTime")
 */
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  Session, StatefulProcessor, col, from_json, types as T,
  type DataFrame, type StatefulProcessorHandle, type TimerValues, type ValueState,
} from '../src/index.ts';
import { withExampleBroker } from './support/example-broker.ts';

export const DAY_MS = 24 * 3600 * 1000;

type Event = { user_id: string; page: string; event_time: Date };
type UserSession = { user_id: string; session_start: Date; last_event: Date; events: bigint; pages: number };
/** What the state keeps per user, as JSON text in the checkpoint (docs/transform-with-state.md). */
type SessionState = { start: number; last: number; events: number; pages: string[] };

export class UserSessions extends StatefulProcessor<{ user_id: string }, Event, UserSession> {
  private session!: ValueState<SessionState>;
  constructor(private readonly idleMs = DAY_MS) { super(); }

  init(handle: StatefulProcessorHandle): void {
    this.session = handle.getValueState<SessionState>('session', { ttlMs: this.idleMs });
  }

  *handleInputRows(key: { user_id: string }, rows: readonly Event[], timerValues: TimerValues): Iterable<UserSession> {
    const now = timerValues.getCurrentProcessingTimeInMs();
    const s = this.session.get() ?? { start: now, last: now, events: 0, pages: [] };
    s.last = now;
    s.events += rows.length;
    for (const r of rows) if (!s.pages.includes(r.page)) s.pages.push(r.page);
    this.session.update(s);
    yield { user_id: key.user_id, session_start: new Date(s.start), last_event: new Date(s.last), events: BigInt(s.events), pages: s.pages.length };
  }
}

/** The query: events in, one row per user whose session changed in the batch (update mode). */
export function userSessions(events: DataFrame, idleMs = DAY_MS): DataFrame {
  return events.groupBy('user_id').transformWithState(new UserSessions(idleMs), {
    outputSchema: 'user_id STRING, session_start TIMESTAMP, last_event TIMESTAMP, events LONG, pages INT',
    outputMode: 'update',
    timeMode: 'processingTime',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const PAGES = ['home', 'search', 'item', 'cart', 'checkout'];
  await withExampleBroker('page-views', (i) => ({
    user_id: `u-${i % 7}`, page: PAGES[(i * 3) % PAGES.length], event_time: new Date(Date.UTC(2024, 0, 1, 12) + i * 1000).toISOString(),
  }), 500, async (bootstrap) => {
    rmSync('./checkpoints/user-sessions', { recursive: true, force: true });
    const session = Session.builder().appName('user-sessions').getOrCreate();
    const schema = T.struct({ user_id: T.string, page: T.string, event_time: T.timestamp });
    const events = session.readStream.format('kafka')
      .option('kafka.bootstrap.servers', bootstrap).option('subscribe', 'page-views')
      .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', 200)
      .load()
      .select(from_json(col('value').cast('string'), schema).alias('e')).select('e.*');
    const query = await userSessions(events).writeStream
      .outputMode('update').format('console').option('truncate', false)
      .option('checkpointLocation', './checkpoints/user-sessions')
      .trigger({ availableNow: true })
      .start();
    await query.awaitTermination();
    const op = query.lastProgress?.stateOperators[0] as { numRowsTotal: number } | undefined;
    console.log(`${query.recentProgress.length} batches; ${op?.numRowsTotal ?? 0} open sessions in state (each ends 24 h after its user's last event).`);
    console.log('See them with: npx sluice checkpoint state ./checkpoints/user-sessions');
  });
}
