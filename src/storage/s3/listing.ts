import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { StorageError } from '../../errors.ts';
import { retrying, type RetryPolicy } from './retry.ts';
import { s3Url } from './s3-path.ts';

export interface ListPage {
  readonly keys: string[];
  /** With a delimiter: the "directories" (each ends with the delimiter). */
  readonly prefixes: string[];
}

/**
 * Every page of ListObjectsV2 under `prefix`, following continuation tokens. Each page is its own
 * retried call: a failure part-way resumes from the last token, not from the start.
 */
export async function* listPages(
  client: S3Client, policy: RetryPolicy, bucket: string, prefix: string, delimiter: string | undefined, pageSize: number,
): AsyncGenerator<ListPage> {
  let token: string | undefined;
  do {
    const page = await retrying({ op: 'ListObjectsV2', bucket, key: prefix }, policy, () => client.send(new ListObjectsV2Command({
      Bucket: bucket, Prefix: prefix, MaxKeys: pageSize,
      ...(delimiter !== undefined ? { Delimiter: delimiter } : {}),
      ...(token !== undefined ? { ContinuationToken: token } : {}),
    })));
    yield {
      keys: (page.Contents ?? []).flatMap((o) => (o.Key !== undefined ? [o.Key] : [])),
      prefixes: (page.CommonPrefixes ?? []).flatMap((p) => (p.Prefix !== undefined ? [p.Prefix] : [])),
    };
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (page.IsTruncated && token === undefined) {
      // Stopping here would silently drop keys: a reader would miss files, a purge leave some.
      throw new StorageError(`S3 ListObjectsV2 of bucket '${bucket}', prefix '${prefix}' (${s3Url(bucket, prefix)}) answered a truncated page `
        + `without a continuation token; the endpoint does not page like S3. Use an S3-compatible endpoint that supports ListObjectsV2.`,
        'ListObjectsV2', bucket, prefix);
    }
  } while (token !== undefined);
}
