/**
 * The sluice demo: Kafka -> from_json -> filter -> select -> Parquet (partitioned by country),
 * then a DuckDB query over the output.
 *
 *   npm run demo                         # set-up, then this script
 *   npx tsx examples/demo.ts             # this script only
 *   KAFKA_BOOTSTRAP_SERVERS=host:9092 npx tsx examples/demo.ts   # a real cluster
 *
 * It starts the project's own Kafka broker (librdkafka's mock cluster, built by
 * scripts/setup.mjs) unless KAFKA_BOOTSTRAP_SERVERS is set, creates topic `purchases`
 * (4 partitions), produces synthetic purchase events with a few bad records among them,
 * and runs the streaming query with trigger availableNow into ./lake/purchases
 * (checkpoint ./checkpoints/purchases). Every run starts clean: the embedded broker is new
 * each time, so an old checkpoint's offsets would point at data that no longer exists.
 *
 * (checkpoints.example/ is written by examples/orders-spark.ts --checkpoint-example: a query
 * with state, which this one has none of.)
 */
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, produce, type ProduceMessage, type TestBroker } from '../test/support/broker.ts';
import { duckQuery } from '../test/support/duck.ts';
import { Session, col, from_json, types as T, type StreamingQueryProgress } from '../src/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
process.chdir(ROOT); // every path below, and the SQL printed, is relative to the project root

const TOPIC = 'purchases';
const PARTITIONS = 4;
const cfg = { events: 50_000, malformed: [1_234, 9_876, 17_001, 25_555, 33_333, 41_010, 48_888], wrongType: [5_000, 22_222, 44_444],
    maxOffsetsPerTrigger: 20_000, lake: 'lake/purchases', checkpoint: 'checkpoints/purchases' };

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const say = (s = ''): void => { process.stdout.write(s + '\n'); };
const plural = (n: number, one: string, many = one + 's'): string => `${fmt(n)} ${n === 1 ? one : many}`;
const shown = (p: string): string => (p.startsWith('/') ? p : `./${p}`);

// ---- synthetic events (deterministic: the same data, and the same answer, every run) -------------

let seed = 20240601;
function rnd(): number { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const COUNTRIES = ['US', 'US', 'US', 'DE', 'DE', 'GB', 'GB', 'FR', 'JP', 'BR', 'IN', 'NL'] as const;
const BAD_RECORDS = ['not json at all', '{"order_id": "o-truncated", "amount": 12.5', '\u0000\u0001 binary junk \u00ff'];

function makeEvents(): { messages: ProduceMessage[]; malformed: number; wrongType: number } {
  const t0 = Date.UTC(2024, 5, 1, 12, 0, 0);
  const messages: ProduceMessage[] = [];
  let malformed = 0, wrongType = 0;
  for (let i = 0; i < cfg.events; i++) {
    const user = `u-${String(Math.floor(rnd() * 2_000)).padStart(4, '0')}`;
    if (cfg.malformed.includes(i)) {
      messages.push({ key: user, value: BAD_RECORDS[malformed++ % BAD_RECORDS.length]! });
      continue;
    }
    // amounts: mostly small, a long tail of big orders
    const amount = Math.round((5 + 300 * rnd() ** 3 + (rnd() < 0.05 ? 500 * rnd() : 0)) * 100) / 100;
    const event = {
      order_id: `o-${String(i).padStart(6, '0')}`,
      user_id: user,
      country: COUNTRIES[Math.floor(rnd() * COUNTRIES.length)]!,
      amount: cfg.wrongType.includes(i) ? 'a lot' : amount, // valid JSON, wrong type: amount becomes null
      event_time: new Date(t0 + i * 60 + Math.floor(rnd() * 1000)).toISOString(),
    };
    if (cfg.wrongType.includes(i)) wrongType++;
    messages.push({ key: user, value: JSON.stringify(event) });
  }
  return { messages, malformed, wrongType };
}

// ---- helpers ---------------------------------------------------------------------------------------

/** Start clean: remove the output and the checkpoint of an earlier run. */
function clean(): string[] {
  const removed: string[] = [];
  for (const p of [cfg.lake, cfg.checkpoint]) {
    if (existsSync(p)) removed.push(p);
    rmSync(p, { recursive: true, force: true });
  }
  return removed;
}

/** With an external cluster the topic may hold earlier runs' events: read only this run's (startingOffsets as JSON). */
async function endOffsets(broker: TestBroker): Promise<string> {
  if (!broker.external) return 'earliest';
  const admin = new Kafka({ clientId: 'sluice-demo', brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offs = await admin.fetchTopicOffsets(TOPIC);
    return JSON.stringify({ [TOPIC]: Object.fromEntries(offs.map((o) => [String(o.partition), Number(o.offset)])) });
  } finally {
    await admin.disconnect();
  }
}

function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => {
    const v = r[c];
    return typeof v === 'number' ? v.toLocaleString('en-US', { minimumFractionDigits: Number.isInteger(v) ? 0 : 2, maximumFractionDigits: 2 })
      : typeof v === 'bigint' ? v.toLocaleString('en-US') : String(v);
  }));
  const w = columns.map((c, k) => Math.max(c.length, ...cells.map((r) => r[k]!.length)));
  const line = '+' + w.map((n) => '-'.repeat(n + 2)).join('+') + '+';
  const row = (r: string[], align: (k: number) => boolean): string => '| ' + r.map((c, k) => (align(k) ? c.padEnd(w[k]!) : c.padStart(w[k]!))).join(' | ') + ' |';
  return [line, row(columns, () => true), line, ...cells.map((r) => row(r, (k) => k === 0)), line].map((l) => '  ' + l).join('\n');
}

// ---- the demo ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const wall = performance.now();
  say('sluice demo: Kafka -> from_json -> filter -> Parquet (partitioned by country) -> DuckDB');
  const removed = clean();
  say(removed.length ? `Starting clean: removed ${removed.map((p) => `./${p}`).join(', ')} from the previous run.` : 'Starting clean: no previous output.');

  const broker = await startBroker({ topics: { [TOPIC]: PARTITIONS } });
  const session = Session.builder().appName('purchases-demo').getOrCreate();
  try {
    say(broker.external
      ? `Kafka: external cluster ${broker.bootstrap} (KAFKA_BOOTSTRAP_SERVERS), topic '${TOPIC}'`
      : `Kafka: embedded broker at ${broker.bootstrap} (librdkafka mock cluster), topic '${TOPIC}' with ${PARTITIONS} partitions`);

    const startingOffsets = await endOffsets(broker);
    const { messages, malformed, wrongType } = makeEvents();
    let t = performance.now();
    await produce(broker.bootstrap, TOPIC, messages);
    say(`Produced ${fmt(messages.length)} purchase events in ${((performance.now() - t) / 1000).toFixed(2)} s `
      + `(${malformed} malformed JSON, ${plural(wrongType, 'event')} with a non-numeric amount).`);

    // The query: the part a user writes.
    const schema = T.struct({
      order_id: T.string, user_id: T.string, country: T.string, amount: T.double, event_time: T.timestamp,
    });
    const kafka = (): ReturnType<typeof session.readStream.load> => session.readStream
      .format('kafka')
      .option('kafka.bootstrap.servers', broker.bootstrap)
      .option('subscribe', TOPIC)
      .option('startingOffsets', startingOffsets)
      .option('maxOffsetsPerTrigger', cfg.maxOffsetsPerTrigger)
      .load();

    const bigOrders = kafka()
      .select(from_json(col('value').cast('string'), schema, { mode: 'DROPMALFORMED' }).alias('data'))
      .select('data.*')
      .filter(col('amount').gt(100))
      .select('order_id', 'user_id', 'country', 'amount', 'event_time');

    t = performance.now();
    const query = await bigOrders.writeStream
      .format('parquet')
      .option('checkpointLocation', cfg.checkpoint)
      .partitionBy('country')
      .queryName('big_purchases')
      .trigger({ availableNow: true })
      .start(cfg.lake);
    await query.awaitTermination();
    const elapsed = (performance.now() - t) / 1000;

    const progress: StreamingQueryProgress[] = query.recentProgress;
    const rowsIn = progress.reduce((s, p) => s + p.numInputRows, 0);
    const rowsOut = progress.reduce((s, p) => s + p.sink.numOutputRows, 0);
    const dropped = progress.reduce((s, p) => s + p.numMalformedRowsDropped, 0);
    const busy = progress.reduce((s, p) => s + p.batchDuration, 0) / 1000;
    say();
    say(`Query 'big_purchases' (amount > 100, DROPMALFORMED) -> ${shown(cfg.lake)}: ${plural(progress.length, 'batch', 'batches')}, trigger availableNow, maxOffsetsPerTrigger ${fmt(cfg.maxOffsetsPerTrigger)}`);
    for (const p of progress) {
      say(`  batch ${p.batchId}: ${fmt(p.numInputRows).padStart(6)} rows in -> ${fmt(p.sink.numOutputRows).padStart(5)} out, `
        + `${p.numMalformedRowsDropped} malformed dropped, ${fmt(p.batchDuration)} ms (${fmt(p.processedRowsPerSecond)} rows/s)`);
    }
    say(`  total:   ${fmt(rowsIn)} rows in -> ${fmt(rowsOut)} out, ${dropped} malformed dropped; `
      + `${fmt(rowsIn / busy)} rows/s in batches, ${elapsed.toFixed(2)} s from start() to the end`);

    // PERMISSIVE keeps every record: a malformed one becomes nulls plus its raw text in _corrupt_record.
    const withCorrupt = T.struct({ ...Object.fromEntries(schema.fields.map((f) => [f.name, f.type])), _corrupt_record: T.string });
    const badQuery = await kafka()
      .select(col('partition'), col('offset'),
        from_json(col('value').cast('string'), withCorrupt, { mode: 'PERMISSIVE', columnNameOfCorruptRecord: '_corrupt_record' }).alias('data'))
      .select('partition', 'offset', 'data.*')
      .filter(col('_corrupt_record').isNotNull().or(col('amount').isNull()))
      .writeStream.format('memory').queryName('bad_purchases').trigger({ availableNow: true })
      .start();
    await badQuery.awaitTermination();
    const bad = session.table('bad_purchases').collect();
    const corrupt = bad.filter((r) => r._corrupt_record !== null);
    say();
    say(`Query 'bad_purchases' (PERMISSIVE, memory sink): ${plural(corrupt.length, 'malformed record')} kept in _corrupt_record, `
      + `${plural(bad.length - corrupt.length, 'valid record')} with a null amount (wrong type), e.g.:`);
    for (const r of [...corrupt.slice(0, 2), ...bad.filter((x) => x._corrupt_record === null).slice(0, 1)]) {
      const what = r._corrupt_record !== null ? `_corrupt_record=${JSON.stringify(String(r._corrupt_record).slice(0, 44))}` : `order_id=${String(r.order_id)} amount=null`;
      say(`  partition ${String(r.partition)} offset ${String(r.offset)}: ${what}`);
    }

    const sql = `SELECT country, count(*) AS orders, round(sum(amount), 2) AS revenue, round(avg(amount), 2) AS avg_amount
  FROM read_parquet('${cfg.lake}/**/*.parquet', hive_partitioning = true)
  GROUP BY country ORDER BY revenue DESC`;
    t = performance.now();
    const rows = await duckQuery(sql);
    say();
    say(`DuckDB over the lake (${((performance.now() - t) / 1000).toFixed(2)} s):`);
    say(sql.split('\n').map((l) => '  ' + l.trim()).join('\n'));
    say(table(rows, ['country', 'orders', 'revenue', 'avg_amount']));
    const seen = rows.reduce((s, r) => s + Number(r.orders), 0);
    say(`  DuckDB reads ${fmt(seen)} rows; the sink reported ${fmt(rowsOut)}${seen === rowsOut ? ': every row exactly once.' : ' -- MISMATCH!'}`);
  } finally {
    await session.stop();
    await broker.stop();
  }
  say();
  say(`Done in ${((performance.now() - wall) / 1000).toFixed(1)} s. Output: ./${cfg.lake}, checkpoint: ./${cfg.checkpoint}. Run again to start over.`);
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
