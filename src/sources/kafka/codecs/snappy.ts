import { compressSync, uncompressSync } from 'snappy';
import type { KafkaCodec } from './codec.ts';

/**
 * Snappy through npm `snappy` (napi-rs, native builds published on npm). Measured on 32 MiB of JSON
 * events in 1 MiB batches (bench/codec-candidates.ts, busy 2-core machine, best of 5 / of 7):
 *   snappy 7.4.3          compress 131 / 138 MB/s, decompress 190 / 127 MB/s
 *   @napi-rs/snappy 1.0.2 compress 224 / 271 MB/s, decompress 477 / 152 MB/s  (same project's old name, one release, not kept)
 *   snappy-wasm 0.3.0     compress 202 / 119 MB/s, decompress 283 / 189 MB/s
 *   snappyjs 0.7.0        compress  79 /  30 MB/s, decompress 109 /  61 MB/s
 * (ratio 3.07 for all). `snappy` is the maintained package of the fastest code; the figures swing
 * with the machine's load more than between the native candidates.
 *
 * Kafka carries snappy two ways: librdkafka (kcat) writes one raw snappy block; the Java client
 * writes xerial's snappy-java stream (a magic header, then length-prefixed raw blocks). Both are
 * read. Writing uses the xerial framing, which every Kafka client reads (snappy-java also falls back
 * to raw blocks, librdkafka reads both).
 */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]); // \x82SNAPPY\0
const XERIAL_HEADER = 16; // magic, version int32, compatible version int32
/** snappy-java's default block size (Kafka's producer uses the default). */
const XERIAL_BLOCK = 32 * 1024;

const isXerial = (b: Uint8Array): boolean => b.length >= XERIAL_HEADER && XERIAL_MAGIC.every((x, i) => b[i] === x);
const raw = (b: Uint8Array): Buffer => uncompressSync(b, { asBuffer: true }) as Buffer;

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
    const block = compressSync(data.subarray(p, Math.min(p + XERIAL_BLOCK, data.length)));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

export const snappy: KafkaCodec = { name: 'snappy', compress, decompress };
