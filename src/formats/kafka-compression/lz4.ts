import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import type { KafkaCodec } from './codec.ts';

/**
 * LZ4 in the LZ4 *frame* format (magic 0x184D2204), as librdkafka (kcat), the Java client
 * (KafkaLZ4BlockOutputStream) and kafkajs-lz4 write it for record batches (magic 2), through npm
 * `lz4-napi` (lz4_flex, napi-rs; native builds published on npm). Measured on 32 MiB of JSON events
 * in 1 MiB batches (bench/codec-candidates.ts, 2-core machine shared with other work; best of 5 / 7 / 7
 * in three runs, the last on the quietest machine):
 *   lz4-napi 2.10.0  compress 108 / 136 / 281 MB/s, decompress  93 / 127 / 462 MB/s
 *   lz4 0.6.5        compress 249 / 313 / 323 MB/s, decompress 353 / 433 / 344 MB/s  (C library via nan, node-gyp build)
 *   lz4js 0.2.0      compress  58 /  75 / 112 MB/s, decompress 117 / 131 / 161 MB/s  (pure JS)
 * (ratio 3.24–3.3). The two native ones trade places with the machine's load; `lz4` is out anyway:
 * its synchronous decode() reports a damaged frame as an 'error' event of an internal stream, an
 * uncaught exception that kills the process, instead of throwing (test/kafka-codecs.test.ts caught
 * it), and it needs a compiler at install. lz4-napi throws, is kept up to date and needs none.
 *
 * Written frames have independent 256 KiB blocks and no checksums (the Java consumer reads block
 * sizes of 64 KiB to 4 MiB; librdkafka any).
 */
export const lz4: KafkaCodec = {
  name: 'lz4',
  compress: (data) => compressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
  decompress: (data) => decompressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
};
