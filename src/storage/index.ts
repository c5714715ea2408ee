import * as path from 'node:path';
import { LocalStorage } from './local.ts';
import type { Storage } from './storage.ts';
import { OptionError } from '../errors.ts';

export type { Storage } from './storage.ts';
export { joinPath } from './storage.ts';

const local = new LocalStorage();

/** The storage behind a path, and the path in the form that storage uses. */
export function storageFor(p: string, option = 'path'): { storage: Storage; path: string } {
  if (/^s3a?:\/\//.test(p)) {
    throw new OptionError(`${option} '${p}': s3:// paths are not supported yet; use a local directory.`);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
    throw new OptionError(`${option} '${p}': unsupported scheme; use a local directory (or s3:// once available).`);
  }
  return { storage: local, path: path.resolve(p) };
}
