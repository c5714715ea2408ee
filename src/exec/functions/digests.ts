import { createHash } from 'node:crypto';
import { crc32 as crc32Of } from '@node-rs/crc32';
import { binary, long, string } from '../../data/types.ts';
import { BytesBuilder } from '../../data/builders.ts';
import { cellWriter } from '../../data/cells.ts';
import { isValid } from '../../data/batch.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { castArgs, fixedTypes } from './type-rules.ts';
import { bytesOf } from './utf8-columns.ts';

/**
 * Digests and encodings of bytes (a string argument is its UTF-8 bytes, as Spark casts it):
 * md5, sha1, sha2 as lower-case hex, crc32 as a bigint, base64/unbase64. node:crypto and
 * @node-rs/crc32 compute them; the loops only hand them each row's bytes.
 */
function hexDigest(name: string, algorithm: string, aliases?: string[]): ScalarFunction {
  return {
    name, aliases, arity: 1,
    bind: fixedTypes(['binary'], string, ([d], n) => {
      const bb = new BytesBuilder(n);
      for (let i = 0; i < n; i++) {
        if (!isValid(d!, i)) { bb.appendNull(); continue; }
        const [v, s, e] = bytesOf(d!, i);
        bb.appendString(createHash(algorithm).update(v.subarray(s, e)).digest('hex'));
      }
      return bb.finish('string');
    }),
  };
}

export const md5 = hexDigest('md5', 'md5');
export const sha1 = hexDigest('sha1', 'sha1', ['sha']);

const SHA2: Record<number, string> = { 0: 'sha256', 224: 'sha224', 256: 'sha256', 384: 'sha384', 512: 'sha512' };
/** sha2(bytes, bits): SHA-224/256/384/512 (0 means 256); another bit length gives null, as in Spark. */
export const sha2: ScalarFunction = {
  name: 'sha2', arity: 2,
  bind(args) {
    const inputTypes = castArgs(args, ['binary', 'int']);
    if (typeof inputTypes === 'string') return inputTypes;
    return {
      inputTypes, returnType: string,
      kernel: ([d, bits], n) => {
        const bb = new BytesBuilder(n), b = bits!.values as Int32Array;
        for (let i = 0; i < n; i++) {
          const alg = isValid(bits!, i) ? SHA2[b[i]!] : undefined;
          if (!isValid(d!, i) || !alg) { bb.appendNull(); continue; }
          const [v, s, e] = bytesOf(d!, i);
          bb.appendString(createHash(alg).update(v.subarray(s, e)).digest('hex'));
        }
        return bb.finish('string');
      },
    };
  },
};

/** crc32(bytes): the CRC-32 as a bigint. */
export const crc32: ScalarFunction = {
  name: 'crc32', arity: 1,
  bind: fixedTypes(['binary'], long, ([d], n) => {
    const w = cellWriter(long, n);
    for (let i = 0; i < n; i++) {
      if (!isValid(d!, i)) { w.push(null); continue; }
      const [v, s, e] = bytesOf(d!, i);
      w.push(BigInt(crc32Of(Buffer.from(v.buffer, v.byteOffset + s, e - s)) >>> 0));
    }
    return w.finish();
  }),
};

/** base64(bytes): standard Base64 with padding. */
export const base64: ScalarFunction = {
  name: 'base64', arity: 1,
  bind: fixedTypes(['binary'], string, ([d], n) => {
    const bb = new BytesBuilder(n);
    for (let i = 0; i < n; i++) {
      if (!isValid(d!, i)) { bb.appendNull(); continue; }
      const [v, s, e] = bytesOf(d!, i);
      bb.appendString(Buffer.from(v.buffer, v.byteOffset + s, e - s).toString('base64'));
    }
    return bb.finish('string');
  }),
};

/** unbase64(str): the bytes a Base64 string encodes. */
export const unbase64: ScalarFunction = {
  name: 'unbase64', arity: 1,
  bind: fixedTypes(['string'], binary, ([d], n) => {
    const bb = new BytesBuilder(n);
    for (let i = 0; i < n; i++) {
      if (!isValid(d!, i)) { bb.appendNull(); continue; }
      const [v, s, e] = bytesOf(d!, i);
      bb.appendBytes(Buffer.from(Buffer.from(v.buffer, v.byteOffset + s, e - s).toString('latin1'), 'base64'));
    }
    return bb.finish('binary');
  }),
};

