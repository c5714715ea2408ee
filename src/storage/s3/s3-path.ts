import { OptionError } from '../../errors.ts';

/** A location in a bucket; `key` has no leading or trailing '/' ('' is the bucket's root). */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

const S3_URL = /^s3a?:\/\/([^/]*)(?:\/(.*))?$/;

export function isS3Path(p: string): boolean {
  return /^s3a?:\/\//.test(p);
}

/** Split `s3://bucket/key` (or Hadoop's `s3a://`) into bucket and key. */
export function parseS3Path(p: string, option = 'path'): S3Location {
  const m = S3_URL.exec(p);
  const bucket = m?.[1] ?? '';
  // S3's own rules, loosely: 3-63 characters, lower case, digits, '.', '-'. Checked here so a
  // typo fails at start() instead of as an opaque signature or DNS error later.
  if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new OptionError(`${option} '${p}' is not a valid S3 location: write s3://<bucket>/<prefix>, `
      + `with a bucket name of 3-63 lower-case letters, digits, '.' or '-'.`);
  }
  return { bucket, key: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

/** The path form the Storage interface uses for an object or prefix. */
export function s3Url(bucket: string, key: string): string {
  return key === '' ? `s3://${bucket}` : `s3://${bucket}/${key}`;
}

/** The key prefix that selects everything below `key` ('' below the bucket's root). */
export function dirPrefix(key: string): string {
  return key === '' ? '' : key + '/';
}
