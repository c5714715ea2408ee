import * as path from 'node:path';
import { LocalStorage } from './local.ts';
import type { Storage } from './storage.ts';
import { OptionError } from '../errors.ts';
import { resolveS3Config } from './s3/config.ts';
import { s3Client } from './s3/s3-client.ts';
import { isS3Path, parseS3Path, s3Url } from './s3/s3-path.ts';
import { S3Storage } from './s3/s3-storage.ts';

export type { StagedWrite, Storage, WriteHooks } from './storage.ts';
export { joinPath } from './storage.ts';
export { isTempFileOf } from './local.ts';

const local = new LocalStorage();
const s3Storages = new Map<string, S3Storage>();

/**
 * The storage behind a path, and the path in the form that storage uses. `conf` is the session's
 * config: S3 reads its `sluice.s3.*` settings from it (then from the environment).
 */
export function storageFor(p: string, option = 'path', conf?: ReadonlyMap<string, string>): { storage: Storage; path: string } {
  if (isS3Path(p)) {
    const { bucket, key } = parseS3Path(p, option);
    const cfg = resolveS3Config(conf);
    const id = JSON.stringify(cfg);
    let storage = s3Storages.get(id);
    if (!storage) { storage = new S3Storage(s3Client(cfg), cfg); s3Storages.set(id, storage); }
    return { storage, path: s3Url(bucket, key) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
    throw new OptionError(`${option} '${p}': unsupported scheme; use a local directory or s3://<bucket>/<prefix>.`);
  }
  return { storage: local, path: path.resolve(p) };
}
