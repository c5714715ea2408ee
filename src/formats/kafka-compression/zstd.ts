import { compress, decompress } from 'zstd-napi';
import type { KafkaCodec } from './codec.ts';

/**
 * Zstandard through npm `zstd-napi` (the C library; built from source by node-gyp at install, as
 * its prebuilt download cannot be reached here). Measured on 32 MiB of JSON events in 1 MiB batches
 * (bench/codec-candidates.ts, 2-core machine shared with other work, best of 5 / 7 in two runs):
 *   zstd-napi 0.0.13           compress 157 / 192 MB/s, decompress 1042 / 871 MB/s, reads frames without a content size
 *   @bokuweb/zstd-wasm 0.0.27  compress  80 /  94 MB/s, decompress  318 / 458 MB/s, FAILS on a frame without
 *                              a content size larger than 1 MiB (it guesses 1 MiB of output)
 *   fzstd 0.1.1                decode only,           decompress   79 /  82 MB/s
 * (ratio 5.21). librdkafka and zstd-jni stream their frames, so their headers carry no content size:
 * the decoder must not depend on it. Level 3 is zstd's and Kafka's default.
 */
export const zstd: KafkaCodec = {
  name: 'zstd',
  compress: (data) => compress(data, { compressionLevel: 3 }),
  decompress: (data) => decompress(data),
};
