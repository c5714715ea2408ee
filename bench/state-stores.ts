/**
 * Embedded key-value stores for state that does not fit in memory (issue #15), on one workload.
 *
 *   npx tsx bench/state-stores.ts [--keys 10000000] [--stores map,lmdb,classic-level,rocksdb,nxtedition-rocksdb,duckdb]
 *
 * Each store runs in its own child process (so RSS is its own) on the same keys: ~24-byte keys
 * in hash order (as state keys arrive), 16-byte values (a sum and a count).
 *   insert     every key, in batches of 100k (each package's batch write)
 *   point      random reads one at a time (the sync call where the package has one, else awaited);
 *              1M, or as many as fit in 30 s (µs/op is what to compare)
 *   update     1M existing keys rewritten in batches of 100k
 *   batchRead  10 micro-batch-like reads of 100k random keys (each package's multi-get)
 * then the store's directory size and the child's peak RSS. The `map` line is the in-memory
 * baseline in the same run: a JS Map of latin1 key strings to value Buffers.
 *
 * Only @duckdb/node-api (and the chosen store) are dependencies; the others are measured after
 * `npm install --no-save lmdb classic-level rocksdb @nxtedition/rocksdb`, and a store whose
 * package is missing prints {"store":..,"error":"not installed"}.
 * A cache rebuilt from the checkpoint needs no durability: every store runs without fsync.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tmpDir } from '../test/support/tmp.ts';

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const KEYS = Number(arg('keys', '10000000'));
const STORES = arg('stores', 'map,lmdb,classic-level,rocksdb,nxtedition-rocksdb,duckdb').split(',');
const BATCH = Math.min(100_000, KEYS);
const POINT_READS = Math.min(1_000_000, KEYS), POINT_CAP_MS = 30_000, UPDATES = Math.min(1_000_000, KEYS), BATCH_READS = 10;

interface Candidate {
  putMany(keys: Buffer[], values: Buffer[]): Promise<void>;
  get(key: Buffer): Buffer | undefined | Promise<Buffer | undefined>;
  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]>;
  close(): Promise<void>;
}

/**
 * Key i: 24 bytes, spread over the key space as hashed state keys are. Made once before the
 * clock starts (a view per call), so the figures are the stores' and not the key builder's.
 */
const KEY_BYTES = Buffer.allocUnsafe(KEYS * 24);
for (let i = 0; i < KEYS; i++) KEY_BYTES.write(`user-${String(Math.imul(i, 2654435761) >>> 0).padStart(10, '0')}-${String(i % 1e8).padStart(8, '0')}`, i * 24, 'latin1');
const key = (i: number): Buffer => KEY_BYTES.subarray(i * 24, i * 24 + 24);
/** Value of key i after `round` updates: a sum and a count. */
function value(i: number, round: number): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeDoubleLE(i * 1.5 + round, 0); b.writeDoubleLE(round + 1, 8);
  return b;
}

// The packages not in package.json are loaded by a name tsc does not resolve.
const load = async (name: string): Promise<any> => import(name); // eslint-disable-line @typescript-eslint/no-explicit-any

async function open(store: string, dir: string): Promise<Candidate> {
  switch (store) {
    case 'map': {
      const m = new Map<string, Buffer>();
      return {
        async putMany(k, v) { for (let i = 0; i < k.length; i++) m.set(k[i]!.toString('latin1'), v[i]!); },
        get: (k) => m.get(k.toString('latin1')),
        async getMany(k) { return k.map((x) => m.get(x.toString('latin1'))); },
        async close() { m.clear(); },
      };
    }
    case 'lmdb': {
      const { open: openLmdb } = await load('lmdb');
      const db = openLmdb({ path: dir, keyEncoding: 'binary', encoding: 'binary', compression: false, noSync: true, mapSize: 64 * 2 ** 30 });
      return {
        async putMany(k, v) { await db.transaction(() => { for (let i = 0; i < k.length; i++) db.put(k[i], v[i]); }); },
        get: (k) => db.getBinary(k),
        getMany: (k) => db.getMany(k),
        close: () => db.close(),
      };
    }
    case 'classic-level': case 'nxtedition-rocksdb': {
      const Level = store === 'classic-level' ? (await load('classic-level')).ClassicLevel : (await load('@nxtedition/rocksdb')).RocksLevel;
      const db = new Level(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await db.open();
      return {
        putMany: (k, v) => db.batch(k.map((x, i) => ({ type: 'put', key: x, value: v[i] }))),
        get: typeof db.getSync === 'function' ? (k) => db.getSync(k) : (k) => db.get(k),
        getMany: (k) => db.getMany(k),
        close: () => db.close(),
      };
    }
    case 'rocksdb': {
      const db = (await load('rocksdb')).default(dir);
      const call = <T>(f: string, ...a: unknown[]) => promisify(db[f].bind(db))(...a) as Promise<T>;
      await call('open', {});
      return {
        putMany: (k, v) => call('batch', k.map((x, i) => ({ type: 'put', key: x, value: v[i] })), {}),
        get: (k) => call<Buffer | undefined>('get', k, {}).catch((e: { code?: string }) => { if (e.code === 'LEVEL_NOT_FOUND' || /NotFound/.test(String(e))) return undefined; throw e; }),
        getMany: (k) => call('getMany', k, {}),
        close: () => call('close'),
      };
    }
    case 'duckdb': {
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const inst = await DuckDBInstance.create(path.join(dir, 'state.duckdb'), { memory_limit: '512MB', threads: '2' });
      const conn = await inst.connect();
      await conn.run('CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB)');
      await conn.run('CREATE TEMP TABLE batch (k BLOB, v BLOB)');
      const point = await conn.prepare('SELECT v FROM kv WHERE k = $1');
      const toBatch = async (k: Buffer[], v: Buffer[] | null) => {
        await conn.run('DELETE FROM batch');
        const a = await conn.createAppender('batch', 'main', 'temp');
        for (let i = 0; i < k.length; i++) { a.appendBlob(k[i]!); if (v) a.appendBlob(v[i]!); else a.appendNull(); a.endRow(); }
        a.closeSync();
      };
      const blob = (x: unknown) => Buffer.from((x as { bytes: Uint8Array }).bytes);
      return {
        async putMany(k, v) { await toBatch(k, v); await conn.run('INSERT OR REPLACE INTO kv SELECT k, v FROM batch'); },
        async get(k) {
          point.bindBlob(1, k);
          const rows = (await point.runAndReadAll()).getRows();
          return rows.length ? blob(rows[0]![0]) : undefined;
        },
        async getMany(k) {
          await toBatch(k, null);
          const rows = (await conn.runAndReadAll('SELECT batch.k, kv.v FROM batch JOIN kv ON batch.k = kv.k')).getRows();
          const m = new Map(rows.map((r) => [blob(r[0]).toString('latin1'), blob(r[1])]));
          return k.map((x) => m.get(x.toString('latin1')));
        },
        async close() { conn.closeSync(); inst.closeSync(); },
      };
    }
    default: throw new Error(`Unknown store '${store}'; known: map, lmdb, classic-level, rocksdb, nxtedition-rocksdb, duckdb.`);
  }
}

function dirBytes(d: string): number {
  let n = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).blocks * 512;
  }
  return n;
}

/** Random key numbers below KEYS, the same in every child. */
function randoms(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s % KEYS; }
  return out;
}

async function runOne(store: string): Promise<Record<string, unknown>> {
  const dir = path.join(tmpDir('state-stores'), store);
  mkdirSync(dir, { recursive: true });
  let db: Candidate;
  try { db = await open(store, dir); } catch (e) {
    return { store, error: (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' ? 'not installed' : String(e) };
  }
  const t0 = performance.now();
  for (let b = 0; b < KEYS; b += BATCH) {
    const n = Math.min(BATCH, KEYS - b), ks: Buffer[] = new Array(n), vs: Buffer[] = new Array(n);
    for (let i = 0; i < n; i++) { ks[i] = key(b + i); vs[i] = value(b + i, 0); }
    await db.putMany(ks, vs);
  }
  const insertMs = performance.now() - t0;

  const pr = randoms(POINT_READS, 7);
  let found = 0, reads = 0;
  const t1 = performance.now();
  while (reads < POINT_READS) {
    const v = await db.get(key(pr[reads++]!));
    if (v && v.readDoubleLE(8) === 1) found++;
    if ((reads & 1023) === 0 && performance.now() - t1 > POINT_CAP_MS) break;
  }
  const pointMs = performance.now() - t1;
  if (found !== reads) throw new Error(`${store}: ${reads - found} of ${reads} point reads missed a key that was inserted.`);

  const up = randoms(UPDATES, 11);
  const t2 = performance.now();
  for (let b = 0; b < UPDATES; b += BATCH) {
    const ks: Buffer[] = [], vs: Buffer[] = [];
    for (let i = b; i < Math.min(b + BATCH, UPDATES); i++) { ks.push(key(up[i]!)); vs.push(value(up[i]!, 1)); }
    await db.putMany(ks, vs);
  }
  const updateMs = performance.now() - t2;

  const br = randoms(BATCH * BATCH_READS, 13);
  const batchMs: number[] = [];
  for (let r = 0; r < BATCH_READS; r++) {
    const ks = Array.from(br.subarray(r * BATCH, (r + 1) * BATCH), (i) => key(i));
    const t = performance.now();
    const vs = await db.getMany(ks);
    batchMs.push(Math.round(performance.now() - t));
    const missing = vs.filter((v) => v === undefined).length;
    if (missing) throw new Error(`${store}: a batched read of ${BATCH} keys missed ${missing}.`);
  }
  const rssMB = Math.round(process.memoryUsage().rss / 2 ** 20);
  await db.close();
  const us = (ms: number, n: number) => +(ms * 1000 / n).toFixed(2);
  return {
    store, keys: KEYS,
    insertMs: Math.round(insertMs), insertUsPerKey: us(insertMs, KEYS),
    pointReads: reads, pointUsPerRead: us(pointMs, reads),
    updates: UPDATES, updateMs: Math.round(updateMs), updateUsPerKey: us(updateMs, UPDATES),
    batchRead100kMs: batchMs, batchReadUsPerKey: us(batchMs.reduce((a, b) => a + b, 0), BATCH * BATCH_READS),
    diskMB: store === 'map' ? 0 : Math.round(dirBytes(dir) / 2 ** 20),
    rssMB, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

const one = process.argv.indexOf('--one');
if (one > 0) {
  console.log(JSON.stringify(await runOne(process.argv[one + 1]!)));
} else {
  for (const s of STORES) {
    try {
      const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--keys', String(KEYS), '--one', s],
        { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
      console.log(out.trim().split('\n').at(-1));
    } catch (e) {
      console.log(JSON.stringify({ store: s, error: String((e as Error).message).split('\n')[0] }));
    }
  }
}
