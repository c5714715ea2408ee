// The chaos harness's checker: reads the topic back (what was really produced), replays the
// windowed query's batches (offset ranges and watermarks from its checkpoint's offsets/<N> files)
// through an independent watermark model, and compares both queries' Parquet output, read with
// DuckDB, with what must be there.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { duckQuery } from '../support/duck.ts';
import { SENTINEL_USER } from './producer.ts';

export type KafkaOffsets = Record<string, Record<string, number>>;

export interface LogRecord { key: string; value: string }

/** Every record of the topic, by partition, index = offset (the mock starts at 0 and never compacts). */
export async function readTopic(bootstrap: string, topic: string, partitions: number): Promise<LogRecord[][]> {
  const kafka = new Kafka({ clientId: 'chaos-checker', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const highs = new Map<number, number>();
  try {
    for (const o of await admin.fetchTopicOffsets(topic)) highs.set(o.partition, Number(o.high));
  } finally {
    await admin.disconnect();
  }
  const out: LogRecord[][] = Array.from({ length: partitions }, () => []);
  const total = [...highs.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId: `chaos-check-${process.pid}-${Date.now()}`, maxBytesPerPartition: 16 << 20, maxBytes: 64 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`reading the topic back: ${seen} of ${total} records after 120 s`)), 120_000);
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const list = out[batch.partition]!;
        for (const m of batch.messages) {
          const off = Number(m.offset);
          if (off !== list.length) continue; // a re-delivered message
          list.push({ key: m.key?.toString() ?? '', value: m.value?.toString() ?? '' });
          seen++;
        }
        if (seen >= total) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  for (let p = 0; p < partitions; p++) {
    if (out[p]!.length !== (highs.get(p) ?? 0)) throw new Error(`partition ${p}: read ${out[p]!.length} records, the topic holds ${highs.get(p)}`);
  }
  return out;
}

/** What a record should parse to, by the kind the producer put in its key. */
export interface Expect {
  kind: 'ok' | 'partial' | 'badid' | 'bad';
  orderId: number | null;
  region: string | null;
  userId: string | null;
  amount: number | null;
  /** Event time in ms, null when it does not parse. */
  t: number | null;
}

export function expectationOf(r: LogRecord): Expect {
  const kind = r.key.split(':')[0] as Expect['kind'];
  if (kind === 'bad') return { kind, orderId: null, region: null, userId: null, amount: null, t: null };
  const o = JSON.parse(r.value) as { order_id: unknown; user_id: string; amount: unknown; event_time: unknown; region: string };
  const t = typeof o.event_time === 'string' && /^\d{4}-\d\d-\d\dT/.test(o.event_time) ? Date.parse(o.event_time) : NaN;
  // Spark's JSON reader takes the strings "NaN", "Infinity", "-Infinity" for a double field; other strings are null.
  const amount = typeof o.amount === 'number' ? o.amount : o.amount === 'NaN' ? NaN : null;
  return {
    kind, orderId: kind === 'badid' ? null : (o.order_id as number), region: o.region, userId: o.user_id, amount, t: Number.isFinite(t) ? t : null,
  };
}

const HIVE_DEFAULT = '__HIVE_DEFAULT_PARTITION__';
const unescapeHive = (s: string): string => s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
const sql = (s: string): string => `'${s.replace(/'/g, "''")}'`;

async function hasParquet(dir: string): Promise<boolean> {
  const walk = async (d: string): Promise<boolean> => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory() ? await walk(path.join(d, e.name)) : e.name.endsWith('.parquet')) return true;
    }
    return false;
  };
  return walk(dir);
}

export interface StatelessResult {
  records: number; wellFormed: number; found: number; duplicates: number; lost: number; wrong: number; unexpected: number;
  badRecords: number; hostileRegions: number; samples: string[];
}

/** `outDir`: a local copy of the stateless query's output (every *.parquet, committed or not). */
export async function checkStateless(outDir: string, log: LogRecord[][]): Promise<StatelessResult> {
  const rows = await hasParquet(outDir)
    ? await duckQuery(`SELECT kp, ko, order_id, amount, filename FROM read_parquet(${sql(outDir + '/**/*.parquet')}, filename = true, hive_partitioning = false)`)
    : [];
  const seen = new Map<string, { n: number; orderId: number | null; amount: number | null; region: string }>();
  const res: StatelessResult = { records: 0, wellFormed: 0, found: 0, duplicates: 0, lost: 0, wrong: 0, unexpected: 0, badRecords: 0, hostileRegions: 0, samples: [] };
  const sample = (s: string): void => { if (res.samples.length < 10) res.samples.push(s); };
  for (const r of rows) {
    const k = `${r.kp}:${r.ko}`;
    const rel = path.relative(outDir, String(r.filename)).split(path.sep);
    const seg = rel.length === 2 && rel[0]!.startsWith('region=') ? unescapeHive(rel[0]!.slice('region='.length)) : `<bad path ${rel.join('/')}>`;
    const prev = seen.get(k);
    if (prev) prev.n++;
    else seen.set(k, { n: 1, orderId: r.order_id === null ? null : Number(r.order_id), amount: r.amount === null ? null : Number(r.amount), region: seg });
  }
  const known = new Set<string>();
  log.forEach((records, p) => records.forEach((rec, o) => {
    const k = `${p}:${o}`;
    known.add(k);
    res.records++;
    const e = expectationOf(rec);
    if (e.kind === 'bad' || e.kind === 'badid') res.badRecords++; else res.wellFormed++;
    const got = seen.get(k);
    if (!got) { res.lost++; sample(`lost ${k} (${rec.key})`); return; }
    if (got.n > 1) { res.duplicates += got.n - 1; sample(`duplicate ${k} x${got.n}`); }
    if (e.orderId !== null) res.found++;
    const region = e.region === null || e.region === undefined || e.region === '' ? HIVE_DEFAULT : e.region;
    if (e.kind !== 'bad' && !['eu', 'us', 'apac'].includes(region)) res.hostileRegions++;
    const wantAmount = e.amount;
    if (got.orderId !== e.orderId || !Object.is(got.amount, wantAmount) || !sameRegion(got.region, region)) {
      res.wrong++;
      sample(`wrong ${k}: got ${JSON.stringify({ o: got.orderId, a: got.amount, r: got.region.slice(0, 40) })} want ${JSON.stringify({ o: e.orderId, a: wantAmount, r: region.slice(0, 40) })}`);
    }
  }));
  for (const k of seen.keys()) if (!known.has(k)) { res.unexpected++; sample(`row ${k} is not in the topic`); }
  return res;
}

export interface Batch { id: number; watermarkMs: number; offsets: KafkaOffsets }

export interface WindowedResult {
  batches: number; events: number; lateRows: number; expected: number; found: number; duplicates: number; lost: number; wrong: number;
  wrongBatch: number; watermarkMismatches: number; samples: string[];
}

/**
 * Replays batches 0..last (from offsets/<N>: ranges and W(N)) through the watermark model of
 * DESIGN §6 (and test/event-time-differential.test.ts): W(0) = 0, W(N+1) = max(W(N), max event
 * time so far - delay); a row is late when its window's end <= W(N-1); batch N closes (and
 * emits) the windows with end <= W(N). Then compares with the output.
 */
export async function checkWindowed(outDir: string, log: LogRecord[][], topic: string, start: KafkaOffsets, batches: Batch[],
  windowMs: number, delayMs: number): Promise<WindowedResult> {
  const res: WindowedResult = { batches: batches.length, events: 0, lateRows: 0, expected: 0, found: 0, duplicates: 0, lost: 0, wrong: 0, wrongBatch: 0, watermarkMismatches: 0, samples: [] };
  const sample = (s: string): void => { if (res.samples.length < 12) res.samples.push(s); };
  const off = (o: KafkaOffsets, p: number): number => o[topic]?.[String(p)] ?? 0;
  let w = 0, prevW = 0, maxSeen = -Infinity;
  const open = new Map<string, { user: string; start: number; sum: number | null; n: number }>();
  const closed = new Map<string, { sum: number | null; n: number; batch: number }>();
  let prev = start;
  for (const b of batches) {
    if (b.watermarkMs !== w) {
      res.watermarkMismatches++;
      sample(`batch ${b.id}: offsets/${b.id} has watermark ${new Date(b.watermarkMs).toISOString()}, the model ${new Date(w).toISOString()}`);
      w = b.watermarkMs; // go on with the engine's, so one mismatch is not reported for every later batch
    }
    for (let p = 0; p < log.length; p++) {
      for (let o = off(prev, p); o < off(b.offsets, p); o++) {
        const e = expectationOf(log[p]![o]!);
        if (e.orderId === null || e.t === null) continue;
        res.events++;
        maxSeen = Math.max(maxSeen, e.t);
        const ws = Math.floor(e.t / windowMs) * windowMs;
        if (ws + windowMs <= prevW) { res.lateRows++; continue; }
        const k = `${e.userId}|${ws}`;
        let x = open.get(k);
        if (!x) { x = { user: e.userId!, start: ws, sum: null, n: 0 }; open.set(k, x); }
        x.n++;
        if (e.amount !== null) x.sum = (x.sum ?? 0) + e.amount;
      }
    }
    for (const [k, x] of open) {
      if (x.start + windowMs <= w) { open.delete(k); if (x.user !== SENTINEL_USER) closed.set(k, { sum: x.sum, n: x.n, batch: b.id }); }
    }
    prevW = w;
    if (maxSeen > -Infinity) w = Math.max(w, maxSeen - delayMs);
    prev = b.offsets;
  }
  res.expected = closed.size;
  const rows = await hasParquet(outDir)
    ? await duckQuery(`SELECT user_id, epoch_ms("window".start) AS ws, total, n, filename FROM read_parquet(${sql(outDir + '/**/*.parquet')}, filename = true)`)
    : [];
  compareWindows(rows, closed, res, sample, (file, want) => {
    const m = /part-(\d+)-\d+\.parquet$/.exec(file);
    return m && Number(m[1]) === want.batch ? null : `written by batch ${m?.[1]}, closes in batch ${want.batch}`;
  });
  return res;
}


/** What the windowed checks count when they hold the output against the model's closed windows. */
export interface WindowCounts { found: number; duplicates: number; lost: number; wrong: number; wrongBatch: number }

/**
 * The output windows (rows of user_id, ws, total, n, filename) against the model's `closed` ones
 * (key `user|window start`): each closed window once with its sum and count, none other (the
 * sentinel user's aside), each in the file of the batch that closes it (`misplaced` says how a file
 * is not that one, or null).
 */
export function compareWindows<W extends { sum: number | null; n: number }>(rows: readonly Record<string, unknown>[], closed: ReadonlyMap<string, W>,
  res: WindowCounts, sample: (s: string) => void, misplaced: (file: string, want: W) => string | null): void {
  const seen = new Map<string, number>();
  for (const r of rows) {
    const user = String(r.user_id);
    if (user === SENTINEL_USER) continue;
    const k = `${user}|${Number(r.ws)}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    const short = `${user.slice(0, 12)}@${new Date(Number(r.ws)).toISOString()}`;
    if (n > 1) { res.duplicates++; sample(`duplicate window ${short}`); continue; }
    const want = closed.get(k);
    if (!want) { res.wrong++; sample(`window ${short} (total ${r.total}, n ${r.n}) was not expected (still open, or all its rows late)`); continue; }
    res.found++;
    const total = r.total === null ? null : Number(r.total);
    if (!Object.is(total, want.sum) || Number(r.n) !== want.n) {
      res.wrong++;
      sample(`window ${short}: got total ${total} n ${r.n}, want total ${want.sum} n ${want.n}`);
    }
    const where = misplaced(String(r.filename), want);
    if (where !== null) { res.wrongBatch++; sample(`window ${short} ${where}`); }
  }
  for (const k of closed.keys()) if (!seen.has(k)) { res.lost++; sample(`lost window ${k.slice(0, 12)}…${k.slice(k.indexOf('|'))}`); }
}

/**
 * Relative paths under an output root that are not `_sluice_log/<N>`, `region=<v>/part-N-M.parquet` (or a sink temp file);
 * with `scaleOut`, `_sluice_log/<task>/<N>` and `part-<task>-N-M.parquet` (docs/design/scale-out.md, Output).
 */
export function strayOutputPaths(rel: readonly string[], partitioned: boolean, scaleOut = false): string[] {
  const task = scaleOut ? '\\d+_\\d+-' : '';
  const dataFile = new RegExp(`^part-${task}\\d+-\\d+\\.parquet$`);
  const temp = new RegExp(`^\\.part-${task}\\d+-\\d+\\.parquet\\.[0-9a-f]+\\.tmp$`);
  const logFile = (n: string): boolean => /^\d+$/.test(n) || /^\.\d+\.[0-9a-f]+\.tmp$/.test(n);
  return rel.filter((r) => {
    const parts = r.split('/');
    if (parts[0] === '_sluice_log') {
      return scaleOut ? !(parts.length === 3 && /^\d+_\d+$/.test(parts[1]!) && logFile(parts[2]!)) : !(parts.length === 2 && logFile(parts[1]!));
    }
    if (partitioned) return !(parts.length === 2 && parts[0]!.startsWith('region=') && !parts[0]!.slice(7).includes('/') && (dataFile.test(parts[1]!) || temp.test(parts[1]!)));
    return !(parts.length === 1 && (dataFile.test(parts[0]!) || temp.test(parts[0]!)));
  });
}

/** Every file under a local directory, relative, '/'-separated. */
export async function listLocal(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p); else out.push(path.relative(root, p).split(path.sep).join('/'));
    }
  };
  await walk(root);
  return out;
}

/**
 * The region a row's directory names: the value itself, or, for a value too long for a
 * directory name (docs/options.md, partitionBy), a prefix of it, '~' and 16 hex digits of its SHA-256.
 */
function sameRegion(got: string, want: string): boolean {
  if (got === want) return true;
  const m = /^([\s\S]*)~([0-9a-f]{16})$/.exec(got);
  return m !== null && want.startsWith(m[1]!) && m[1]!.length >= 40 && createHash('sha256').update(want, 'utf8').digest('hex').slice(0, 16) === m[2];
}
