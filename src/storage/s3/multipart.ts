/**
 * A large object as a multipart upload: parts go up a few at a time, each retried on its own, and
 * the object appears only when CompleteMultipartUpload succeeds, so, as with one PUT, a reader
 * sees the whole file or nothing. A failed upload is aborted so its parts are not billed forever.
 */
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand,
  type S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { StorageError } from '../../errors.ts';
import { errorName, retrying, type RetryPolicy } from './retry.ts';
import { s3Url } from './s3-path.ts';

const PARTS_IN_FLIGHT = 4;
/** S3's limit on parts per upload. */
const MAX_PARTS = 10_000;

export async function putMultipart(
  client: S3Client, policy: RetryPolicy, bucket: string, key: string, bytes: Uint8Array, partSize: number,
): Promise<void> {
  // Grow the part size rather than fail when the object would need more than S3's part limit.
  const size = Math.max(partSize, Math.ceil(bytes.length / MAX_PARTS));
  const count = Math.ceil(bytes.length / size);
  const created = await retrying({ op: 'CreateMultipartUpload', bucket, key }, policy, () =>
    client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })));
  const uploadId = created.UploadId;
  if (uploadId === undefined) {
    throw new StorageError(`S3 CreateMultipartUpload for bucket '${bucket}', key '${key}' (${s3Url(bucket, key)}) returned no UploadId; the endpoint does not support multipart uploads. `
      + `Raise sluice.s3.multipartThresholdBytes above the largest file to use single PUTs.`, 'CreateMultipartUpload', bucket, key);
  }
  try {
    const etags: string[] = new Array<string>(count);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      // One failed part ends the upload: the others stop taking parts before the abort below.
      while (!failed && next < count) {
        const i = next++;
        const body = bytes.subarray(i * size, Math.min(bytes.length, (i + 1) * size));
        const r = await retrying({ op: `UploadPart ${i + 1}/${count}`, bucket, key }, policy, () =>
          client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body, ContentLength: body.length })))
          .catch((e: unknown) => { failed = true; throw e; });
        if (r.ETag === undefined) {
          throw new StorageError(`S3 UploadPart ${i + 1} of ${s3Url(bucket, key)} returned no ETag; the endpoint is not S3-compatible enough for multipart uploads.`, 'UploadPart', bucket, key);
        }
        etags[i] = r.ETag;
      }
    };
    // Settled, not all(): the abort below must come after the last part in flight has ended.
    const results = await Promise.allSettled(Array.from({ length: Math.min(PARTS_IN_FLIGHT, count) }, worker));
    const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (bad) throw bad.reason;
    await retrying({ op: 'CompleteMultipartUpload', bucket, key }, policy, async (n) => {
      try {
        await client.send(new CompleteMultipartUploadCommand({
          Bucket: bucket, Key: key, UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }));
      } catch (e) {
        // An earlier attempt completed the upload but its answer was lost: the upload id is gone
        // and the object is there, whole.
        if (n > 1 && errorName(e) === 'NoSuchUpload') {
          const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
          if (head.ContentLength === bytes.length) return;
        }
        throw e;
      }
    });
  } catch (e) {
    // Best effort, once: the upload already failed, and S3 lifecycle rules can clean up the rest.
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    throw e;
  }
}
