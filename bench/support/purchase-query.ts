/**
 * The Kafka-to-Parquet job the end-to-end benchmarks time (bench/kafka-to-parquet.ts,
 * bench/kafka-codecs.ts): its input events, and the query readStream kafka -> from_json ->
 * select d.* -> filter type = 'purchase' -> parquet (availableNow), checked with DuckDB.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { duckQuery } from '../../test/support/duck.ts';
import { mulberry32 } from '../../test/support/prng.ts';
import { tmpDir } from '../../test/support/tmp.ts';
import { Session, col, from_json, types as T } from '../../src/index.ts';

const TYPES = ['purchase', 'view', 'view', 'add_to_cart', 'click'] as const;
const T0 = Date.UTC(2024, 4, 1);

/**
 * A maker of the benchmark's JSON events (~230 B each). Call it with i = 0, 1, 2, ... in order:
 * each maker draws from its own seeded generator, so every run and every benchmark gets the same events.
 */
export function purchaseEvents(): (i: number) => { value: string; purchase: boolean } {
  const rnd = mulberry32(42);
  return (i) => {
    const type = TYPES[Math.floor(rnd() * TYPES.length)]!;
    const value = `{"event_id":${i},"user_id":"u-${Math.floor(rnd() * 100_000)}","session_id":"s-${Math.floor(rnd() * 1e12).toString(36)}",`
      + `"page":"/p/${Math.floor(rnd() * 10_000)}","type":"${type}","amount":${Math.floor(rnd() * 100_000) / 100},`
      + `"event_time":"${new Date(T0 + Math.floor(rnd() * 86_400_000)).toISOString()}",`
      + `"country":"${['DE', 'FR', 'US', 'JP', 'BR'][i % 5]}","device":"${['ios', 'android', 'web'][i % 3]}","campaign":"c-${i % 97}"}`;
    return { value, purchase: type === 'purchase' };
  };
}

export const purchaseSchema = T.struct({
  event_id: T.long, user_id: T.string, session_id: T.string, page: T.string, type: T.string,
  amount: T.double, event_time: T.timestamp, country: T.string, device: T.string, campaign: T.string,
});

/**
 * Run the job on `topic` (start() .. awaitTermination() is timed) and check its output with DuckDB:
 * exactly the `purchases` purchase events, each once. Throws when the output is wrong.
 */
export async function runPurchaseQuery(bootstrap: string, topic: string, purchases: number,
  log?: (msg: string) => void): Promise<{ secs: number; outputRows: number }> {
  const dir = tmpDir('bench');
  try {
    const session = Session.builder().appName('bench').getOrCreate();
    const t0 = performance.now();
    const q = await session.readStream.format('kafka')
      .option('kafka.bootstrap.servers', bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest').load()
      .select(from_json(col('value').cast('string'), purchaseSchema).alias('d')).select('d.*')
      .filter(col('type').equalTo('purchase'))
      .writeStream.format('parquet').option('checkpointLocation', join(dir, 'cp')).trigger({ availableNow: true })
      .start(join(dir, 'out'));
    await q.awaitTermination();
    const secs = (performance.now() - t0) / 1000;
    const p = q.lastProgress as { numInputRows?: number; durationMs?: Record<string, number> } | null;
    if (p && log) log(`sluice last progress: input ${p.numInputRows} rows, durations ${JSON.stringify(p.durationMs)}`);
    const [r] = await duckQuery(`select count(*)::BIGINT as n, count(distinct event_id)::BIGINT as d, `
      + `count(*) filter (where type <> 'purchase')::BIGINT as bad from read_parquet('${join(dir, 'out')}/**/*.parquet')`);
    const outputRows = Number(r!.n), distinct = Number(r!.d), bad = Number(r!.bad);
    if (outputRows !== purchases || distinct !== purchases || bad !== 0) {
      throw new Error(`sluice output of ${topic} is wrong: ${outputRows} rows (${distinct} distinct event_id, ${bad} not purchases), expected ${purchases} purchases`);
    }
    return { secs, outputRows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
