import { createRequire } from 'node:module';
import type { KafkaCodec } from './codec.ts';

/**
 * Snappy through npm `snappy-wasm` (Rust's snap crate as WebAssembly: no native build). Measured on
 * 32 MiB of JSON events in 1 MiB batches (bench/codec-candidates.ts, 2-core machine shared with other
 * work; best of 5 / 7 / 7 in three runs, the last on the quietest machine):
 *   snappy-wasm 0.3.0      compress 202 / 119 / 342 MB/s, decompress 283 / 189 / 471 MB/s
 *   snappy 7.4.3 (napi-rs) compress 131 / 138 / 220 MB/s, decompress 190 / 127 / 260 MB/s
 *   @napi-rs/snappy 1.0.2  compress 224 / 271 / 366 MB/s, decompress 477 / 152 / 623 MB/s  (the napi-rs project's old name: one release, not kept)
 *   snappyjs 0.7.0         compress  79 /  30 / 108 MB/s, decompress 109 /  61 / 176 MB/s
 * (ratio 3.07 for all). snappy-wasm beat the maintained native package in every run, and throws on
 * damaged input (a corrupt batch must fail with an error, not crash or return garbage).
 *
 * Kafka carries snappy two ways: librdkafka (kcat) writes one raw snappy block; the Java client
 * writes xerial's snappy-java stream (a magic header, then length-prefixed raw blocks). Both are
 * read. Writing uses the xerial framing, which every Kafka client reads (snappy-java also falls back
 * to raw blocks, librdkafka reads both).
 */
// The package's ESM entry is its browser build (it fetches the .wasm); the CommonJS one loads it from disk.
const { compress_raw: compressRaw, decompress_raw: decompressRaw } = createRequire(import.meta.url)('snappy-wasm') as {
  compress_raw(input: Uint8Array): Uint8Array;
  decompress_raw(input: Uint8Array): Uint8Array;
};
const asBuffer = (a: Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]); // \x82SNAPPY\0
const XERIAL_HEADER = 16; // magic, version int32, compatible version int32
/** snappy-java's default block size (Kafka's producer uses the default). */
const XERIAL_BLOCK = 32 * 1024;

const isXerial = (b: Uint8Array): boolean => b.length >= XERIAL_HEADER && XERIAL_MAGIC.every((x, i) => b[i] === x);
const raw = (b: Uint8Array): Buffer => asBuffer(decompressRaw(b));

function decompress(data: Uint8Array): Buffer {
  if (!isXerial(data)) return raw(data);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const blocks: Buffer[] = [];
  for (let p = XERIAL_HEADER; p < data.length;) {
    if (p + 4 > data.length) throw new Error(`snappy-java stream cut inside a block header at byte ${p} of ${data.length}`);
    const len = view.getInt32(p);
    p += 4;
    if (len < 0 || p + len > data.length) throw new Error(`snappy-java block of ${len} bytes at byte ${p} runs past the end (${data.length} bytes)`);
    blocks.push(raw(data.subarray(p, p + len)));
    p += len;
  }
  return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks);
}

function compress(data: Uint8Array): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  for (let p = 0; p < data.length; p += XERIAL_BLOCK) {
    const block = compressRaw(data.subarray(p, Math.min(p + XERIAL_BLOCK, data.length)));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length);
    parts.push(len, asBuffer(block));
  }
  return Buffer.concat(parts);
}

export const snappy: KafkaCodec = { name: 'snappy', compress, decompress };
