/**
 * bench/latency.ts's same-run baseline: the least a Kafka -> Parquet loop can do and still lose
 * nothing on a crash, written by hand. A kafkajs consumer; per fetched batch of messages, one
 * small Parquet file through the same libraries as the sink (apache-arrow -> parquet-wasm,
 * snappy), written to a temp name, fsynced, renamed. No offset log, no commit log, no checks: its
 * p99 is what the machine's disk and scheduler cost right now, so the engine's is read against it.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { Kafka, logLevel } from 'kafkajs';

export interface HandLoop {
  /** The wall-clock ms at which each record's file was renamed into place, by the record's value. */
  readonly committedAt: ReadonlyMap<string, number>;
  /** Resolves once `count` records are in files. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Starts consuming `topic` from the start into files under `outDir`, until `count` records are written. */
export async function startHandLoop(bootstrap: string, topic: string, count: number, outDir: string): Promise<HandLoop> {
  await fs.mkdir(outDir, { recursive: true });
  const kafka = new Kafka({ clientId: 'bench-hand-loop', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  // maxWaitTimeInMs 10: the mock broker answers a Fetch only at its maxWait (src/runtime/polling-delay.ts),
  // so this is the same 10 ms idle poll as sluice's default pollingDelay.
  const consumer = kafka.consumer({ groupId: `hand-loop-${topic}`, maxWaitTimeInMs: 10 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  // Resolved once the group has assigned the partition, so the records are not timed through the join
  // (seconds on a loaded machine), which the query, reading without a group, does not pay.
  const joined = new Promise<void>((resolve) => { consumer.on(consumer.events.GROUP_JOIN, () => resolve()); });
  const committedAt = new Map<string, number>();
  let files = 0;
  const done = new Promise<void>((resolve, reject) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        try {
          const values = batch.messages.map((m) => m.value?.toString() ?? '');
          if (!values.length) return;
          const ipc = tableToIPC(tableFromArrays({ sent: values }), 'stream');
          const bytes = writeParquet(WasmTable.fromIPCStream(ipc), new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).build());
          const target = join(outDir, `part-${files++}.parquet`), tmp = `${target}.tmp`;
          const fh = await fs.open(tmp, 'wx');
          try { await fh.writeFile(bytes); await fh.sync(); } finally { await fh.close(); }
          await fs.rename(tmp, target);
          const at = Date.now();
          for (const v of values) committedAt.set(v, at);
          if (committedAt.size >= count) resolve();
        } catch (e) { reject(e as Error); }
      },
    }).catch(reject);
  });
  await joined;
  return { committedAt, done, stop: () => consumer.disconnect() };
}
