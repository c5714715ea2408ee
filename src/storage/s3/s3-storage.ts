/**
 * Storage on S3 (or an S3-compatible store). Paths are `s3://bucket/key`; "directories" are key
 * prefixes ending in '/'.
 *
 *  - write: one PUT (atomic: readers see the old object or the whole new one), or a multipart
 *    upload from sluice.s3.multipartThresholdBytes on, which is just as atomic (see multipart.ts);
 *  - create: a conditional PUT (`If-None-Match: *`); 412 means the object exists, so two queries
 *    on one checkpoint cannot both write batch N (DESIGN §5);
 *  - every call is retried through transient failures within sluice.s3.retryTimeoutMs (retry.ts).
 */
import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { type FileBytes, type StagedWrite, type Storage, joined } from '../storage.ts';
import type { S3Config } from './config.ts';
import { listPages } from './listing.ts';
import { putMultipart } from './multipart.ts';
import { DEFAULT_BACKOFF, errorName, httpStatus, retrying, type RetryPolicy } from './retry.ts';
import { dirPrefix, parseS3Path, s3Url, type S3Location } from './s3-path.ts';

/** A missing object, as opposed to a missing bucket (which is an error, not "absent"). */
function isMissingKey(e: unknown): boolean {
  const name = errorName(e);
  return name === 'NoSuchKey' || name === 'NotFound' || (httpStatus(e) === 404 && name !== 'NoSuchBucket' && name !== 'NoSuchUpload');
}

function isPreconditionFailed(e: unknown): boolean {
  return httpStatus(e) === 412 || errorName(e) === 'PreconditionFailed';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The endpoint for messages, without any user:password a URL might carry. */
const safeEndpoint = (e: string | undefined): string | undefined => e?.replace(/\/\/[^/@]*@/, '//');

export class S3Storage implements Storage {
  private readonly policy: RetryPolicy;

  constructor(private readonly client: S3Client, private readonly cfg: S3Config) {
    this.policy = { totalMs: cfg.retryTimeoutMs, ...DEFAULT_BACKOFF, endpoint: safeEndpoint(cfg.endpoint) };
  }

  private loc(p: string): S3Location { return parseS3Path(p); }

  async read(p: string): Promise<Uint8Array | null> {
    const { bucket, key } = this.loc(p);
    // The body is read inside the attempt: a connection cut mid-body is retried like any other.
    return retrying({ op: 'GetObject', bucket, key }, this.policy, async () => {
      try {
        const r = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return r.Body ? await r.Body.transformToByteArray() : new Uint8Array(0);
      } catch (e) {
        if (isMissingKey(e)) return null;
        throw e;
      }
    });
  }

  async write(p: string, parts: FileBytes): Promise<void> {
    const { bucket, key } = this.loc(p), bytes = joined(parts);
    if (bytes.length >= this.cfg.multipartThresholdBytes) {
      await putMultipart(this.client, this.policy, bucket, key, bytes, this.cfg.partSizeBytes);
      return;
    }
    await retrying({ op: 'PutObject', bucket, key }, this.policy, () =>
      this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.length })));
  }

  /**
   * True when this call created the object. After a failed attempt (a reset, a timeout, a 5xx)
   * the write may have happened although its answer was lost; the retry then meets 412, and the
   * object counts as ours when it holds exactly our bytes. Another writer of identical bytes is
   * indistinguishable, and harmless: the log holds what this writer meant to write.
   */
  async create(p: string, bytes: Uint8Array): Promise<boolean> {
    const { bucket, key } = this.loc(p);
    return retrying({ op: 'PutObject (If-None-Match: *)', bucket, key }, this.policy, async (attempt) => {
      try {
        await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.length, IfNoneMatch: '*' }));
        return true;
      } catch (e) {
        if (!isPreconditionFailed(e)) throw e;
        if (attempt === 1) return false;
        const existing = await this.read(p);
        return existing !== null && sameBytes(existing, bytes);
      }
    });
  }

  /** An object appears whole with its one PUT, so staging only holds the bytes until the publish. */
  async stage(p: string, bytes: Uint8Array): Promise<StagedWrite> {
    return { publish: () => this.write(p, bytes), publishNew: () => this.create(p, bytes), discard: async () => undefined };
  }

  async list(dir: string): Promise<string[]> {
    const { bucket, key } = this.loc(dir);
    const base = dirPrefix(key);
    const names = new Set<string>();
    for await (const page of listPages(this.client, this.policy, bucket, base, '/', this.cfg.listPageSize)) {
      for (const pre of page.prefixes) names.add(pre.slice(base.length, -1));
      for (const k of page.keys) names.add(k.slice(base.length));
    }
    // Like the local listing: no hidden names, and '' is a "folder marker" object, not an entry.
    return [...names].filter((n) => n !== '' && !n.startsWith('.')).sort();
  }

  async listRecursive(dir: string): Promise<string[]> {
    const { bucket, key } = this.loc(dir);
    const out: string[] = [];
    for await (const page of listPages(this.client, this.policy, bucket, dirPrefix(key), undefined, this.cfg.listPageSize)) {
      for (const k of page.keys) if (!k.endsWith('/')) out.push(s3Url(bucket, k));
    }
    return out;
  }

  /** An object, or a prefix with objects below it (a local directory's counterpart). */
  async exists(p: string): Promise<boolean> {
    const { bucket, key } = this.loc(p);
    const object = await retrying({ op: 'HeadObject', bucket, key }, this.policy, async () => {
      try {
        await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (e) {
        if (isMissingKey(e)) return false;
        throw e;
      }
    });
    if (object) return true;
    for await (const page of listPages(this.client, this.policy, bucket, dirPrefix(key), '/', 1)) {
      if (page.keys.length > 0 || page.prefixes.length > 0) return true;
      break;
    }
    return false;
  }

  async remove(p: string): Promise<void> {
    const { bucket, key } = this.loc(p);
    // S3 answers 204 for a key that is not there: removing twice is fine.
    await retrying({ op: 'DeleteObject', bucket, key }, this.policy, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
  }
}
