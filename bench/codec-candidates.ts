/**
 * How the Kafka codecs of src/formats/kafka-compression/ were chosen: 2–4 npm candidates per codec,
 * measured on the same data (JSON events of ~230 B, in record-batch-sized chunks of 1 MiB, as
 * librdkafka's batch.size makes them), sync calls, best of --rounds.
 *
 *   mkdir -p /tmp/codec-cand && cd /tmp/codec-cand && npm init -y >/dev/null && \
 *     npm i snappy @napi-rs/snappy snappyjs snappy-wasm lz4-napi lz4js lz4 zstd-napi @bokuweb/zstd-wasm fzstd fflate
 *   npx tsx bench/codec-candidates.ts --from /tmp/codec-cand [--mib 32] [--rounds 3]
 *
 * Candidates not installed under --from (default: this project) are reported as skipped. Prints one
 * JSON line per candidate: compress and decompress MB/s (of uncompressed bytes), the ratio, and
 * whether it decodes the frames that matter for Kafka (zstd frames without a content size, as
 * librdkafka and the Java client stream them; the LZ4 frame format).
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as zlib from 'node:zlib';
import { mulberry32 } from '../test/support/prng.ts';

const { values: args } = parseArgs({
  options: { from: { type: 'string', default: process.cwd() }, mib: { type: 'string', default: '32' }, rounds: { type: 'string', default: '3' }, only: { type: 'string' } },
});
const req = createRequire(join(resolve(args.from), 'package.json'));
const ROUNDS = Number(args.rounds);
const CHUNK = 1 << 20;

type Bytes = Uint8Array;
interface Candidate {
  codec: string;
  pkg: string;
  /** Loads the package; throws when it is not installed or does not load. */
  load(): Promise<{ compress?: (b: Bytes) => Bytes; decompress: (b: Bytes) => Bytes }>;
}

// ---- data --------------------------------------------------------------------------------------

function makeData(bytes: number): Bytes[] {
  const rnd = mulberry32(7), enc = new TextEncoder(), types = ['purchase', 'view', 'view', 'add_to_cart', 'click'];
  const chunks: Bytes[] = [];
  let parts: string[] = [], size = 0, total = 0;
  for (let i = 0; total < bytes; i++) {
    const s = `{"event_id":${i},"user_id":"u-${Math.floor(rnd() * 100_000)}","session_id":"s-${Math.floor(rnd() * 1e12).toString(36)}",`
      + `"page":"/p/${Math.floor(rnd() * 10_000)}","type":"${types[Math.floor(rnd() * 5)]}","amount":${Math.floor(rnd() * 100_000) / 100},`
      + `"event_time":"${new Date(1714521600000 + Math.floor(rnd() * 86_400_000)).toISOString()}","country":"${['DE', 'FR', 'US'][i % 3]}"}`;
    parts.push(s);
    size += s.length;
    total += s.length;
    if (size >= CHUNK) { chunks.push(enc.encode(parts.join(''))); parts = []; size = 0; }
  }
  if (parts.length) chunks.push(enc.encode(parts.join('')));
  return chunks;
}

// ---- candidates --------------------------------------------------------------------------------

const mod = <T>(name: string): T => req(name) as T;
const buf = (b: Bytes): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

const candidates: Candidate[] = [
  { codec: 'gzip', pkg: 'node:zlib', load: async () => ({ compress: (b) => zlib.gzipSync(b, { level: 6 }), decompress: (b) => zlib.gunzipSync(b) }) },
  { codec: 'gzip', pkg: 'fflate', load: async () => {
    const m = mod<{ gzipSync(b: Bytes, o?: object): Bytes; gunzipSync(b: Bytes): Bytes }>('fflate');
    return { compress: (b) => m.gzipSync(b, { level: 6 }), decompress: (b) => m.gunzipSync(b) };
  } },
  { codec: 'snappy', pkg: 'snappy', load: async () => {
    const m = mod<{ compressSync(b: Buffer): Buffer; uncompressSync(b: Buffer, o?: { asBuffer: boolean }): Buffer }>('snappy');
    return { compress: (b) => m.compressSync(buf(b)), decompress: (b) => m.uncompressSync(buf(b), { asBuffer: true }) };
  } },
  { codec: 'snappy', pkg: '@napi-rs/snappy', load: async () => {
    const m = mod<{ compressSync(b: Buffer): Buffer; uncompressSync(b: Buffer, o?: { asBuffer: boolean }): Buffer }>('@napi-rs/snappy');
    return { compress: (b) => m.compressSync(buf(b)), decompress: (b) => m.uncompressSync(buf(b), { asBuffer: true }) };
  } },
  { codec: 'snappy', pkg: 'snappyjs', load: async () => {
    const m = mod<{ compress(b: Bytes): Bytes; uncompress(b: Bytes): Bytes }>('snappyjs');
    return { compress: (b) => m.compress(b), decompress: (b) => m.uncompress(b) };
  } },
  { codec: 'snappy', pkg: 'snappy-wasm', load: async () => {
    const m = mod<{ compress_raw(b: Bytes): Bytes; decompress_raw(b: Bytes): Bytes }>('snappy-wasm');
    return { compress: (b) => m.compress_raw(b), decompress: (b) => m.decompress_raw(b) };
  } },
  { codec: 'lz4', pkg: 'lz4-napi', load: async () => {
    const m = mod<{ compressFrameSync(b: Buffer): Buffer; decompressFrameSync(b: Buffer): Buffer }>('lz4-napi');
    return { compress: (b) => m.compressFrameSync(buf(b)), decompress: (b) => m.decompressFrameSync(buf(b)) };
  } },
  { codec: 'lz4', pkg: 'lz4js', load: async () => {
    const m = mod<{ compress(b: Bytes): Bytes; decompress(b: Bytes): Bytes }>('lz4js');
    return { compress: (b) => m.compress(b), decompress: (b) => m.decompress(b) };
  } },
  { codec: 'lz4', pkg: 'lz4', load: async () => {
    const m = mod<{ encode(b: Buffer): Buffer; decode(b: Buffer): Buffer }>('lz4');
    return { compress: (b) => m.encode(buf(b)), decompress: (b) => m.decode(buf(b)) };
  } },
  { codec: 'zstd', pkg: 'zstd-napi', load: async () => {
    const m = mod<{ compress(b: Bytes, p?: object): Buffer; decompress(b: Bytes): Buffer }>('zstd-napi');
    return { compress: (b) => m.compress(b, { compressionLevel: 3 }), decompress: (b) => m.decompress(b) };
  } },
  { codec: 'zstd', pkg: '@bokuweb/zstd-wasm', load: async () => {
    const m = mod<{ init(): Promise<void>; compress(b: Bytes, level: number): Bytes; decompress(b: Bytes): Bytes }>('@bokuweb/zstd-wasm');
    await m.init();
    return { compress: (b) => m.compress(b, 3), decompress: (b) => m.decompress(b) };
  } },
  { codec: 'zstd', pkg: 'fzstd', load: async () => {
    const m = mod<{ decompress(b: Bytes): Bytes }>('fzstd');
    return { decompress: (b) => m.decompress(b) };
  } },
];

// ---- measuring ---------------------------------------------------------------------------------

const equal = (a: Bytes, b: Bytes): boolean => a.length === b.length && Buffer.compare(buf(a), buf(b)) === 0;

/** A zstd frame without a content size in its header (streamed, as librdkafka and zstd-jni write them), from zstd-napi's stream. */
async function zstdStreamFrame(data: Bytes): Promise<Bytes | null> {
  try {
    const m = mod<{ Compressor: new () => { compress(b: Bytes): Buffer }; CompressStream: new () => NodeJS.ReadWriteStream }>('zstd-napi');
    const s = new m.CompressStream();
    const out: Buffer[] = [];
    s.on('data', (c: Buffer) => out.push(c));
    const done = new Promise((r) => s.on('end', r));
    s.end(Buffer.from(data));
    await done;
    return Buffer.concat(out);
  } catch {
    return null;
  }
}

const data = makeData(Number(args.mib) << 20);
const total = data.reduce((a, c) => a + c.length, 0);
const mbps = (secs: number): number => Math.round(total / secs / 1e6);
process.stderr.write(`[codecs] ${data.length} chunks, ${(total / 1e6).toFixed(1)} MB of JSON events, ${ROUNDS} rounds\n`);

// Every decoder also gets the reference frames of its codec (the first candidate's), not only its own.
const big = Buffer.concat(data.slice(0, 3)); // 3 MiB: more than a decoder's default 1 MiB guess
const streamed = await zstdStreamFrame(big);

// Per codec, the candidates take turns within each round (the machine is shared: a busy moment
// then hits all of them alike), and each keeps its best round.
const only = args.only?.split(',');
const codecs = [...new Set(candidates.map((c) => c.codec))].filter((c) => !only || only.includes(c));
for (const codec of codecs) {
  const loaded: { c: Candidate; impl: Awaited<ReturnType<Candidate['load']>>; own?: Bytes[]; comp: number; dec: number }[] = [];
  for (const c of candidates.filter((x) => x.codec === codec)) {
    try { loaded.push({ c, impl: await c.load(), comp: Infinity, dec: Infinity }); } catch (e) {
      console.log(JSON.stringify({ codec, pkg: c.pkg, skipped: (e as Error).message.split('\n')[0] }));
    }
  }
  const time = (fn: () => void): number => { const t0 = performance.now(); fn(); return (performance.now() - t0) / 1000; };
  for (const l of loaded) if (l.impl.compress) l.own = data.map((d) => l.impl.compress!(d));
  const reference = loaded.find((l) => l.own)!.own!;
  for (let r = 0; r < ROUNDS; r++) {
    for (const l of loaded) {
      const { compress, decompress } = l.impl;
      if (compress) l.comp = Math.min(l.comp, time(() => { for (const d of data) compress(d); }));
      l.dec = Math.min(l.dec, time(() => { for (const f of reference) decompress(f); }));
    }
  }
  for (const l of loaded) {
    const row: Record<string, unknown> = { codec, pkg: l.c.pkg };
    if (l.own) {
      row.compressMBps = mbps(l.comp);
      row.ratio = Number((total / l.own.reduce((a, x) => a + x.length, 0)).toFixed(2));
    }
    row.decompressMBps = mbps(l.dec);
    try {
      row.roundTrip = reference.every((f, i) => equal(l.impl.decompress(f), data[i]!)) && (!l.own || l.own.every((f, i) => equal(l.impl.decompress(f), data[i]!)));
    } catch (e) { row.roundTrip = `fails: ${(e as Error).message}`; }
    if (codec === 'zstd' && streamed) {
      try { row.unknownSizeFrame = equal(l.impl.decompress(streamed), big); } catch (e) { row.unknownSizeFrame = `fails: ${(e as Error).message}`; }
    }
    console.log(JSON.stringify(row));
  }
}
