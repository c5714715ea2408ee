import type { S3Client } from '@aws-sdk/client-s3';

/**
 * S3 requests this process has sent, by operation (PutObject, GetObject, HeadObject, ListObjectsV2,
 * DeleteObject, the multipart calls). The clients send each request once (maxAttempts 1: retries are
 * retry.ts's own sends), so this counts HTTP requests, what S3 bills. Per process, as the clients
 * are: the progress record reports the difference over a batch (sluice-specific field s3Requests).
 */
const counts: Record<string, number> = {};

export function countRequests(client: S3Client): void {
  client.middlewareStack.add((next, context) => async (args) => {
    const op = (context as { commandName?: string }).commandName?.replace(/Command$/, '') ?? 'unknown';
    counts[op] = (counts[op] ?? 0) + 1;
    return next(args);
  }, { step: 'initialize', name: 'sluiceRequestCount' });
}

/** A copy of the counts so far. */
export function s3RequestCounts(): Record<string, number> { return { ...counts }; }

/** What `now` adds to `before`, without the operations that did not change. */
export function requestsSince(before: Readonly<Record<string, number>>, now: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [op, n] of Object.entries(now)) if (n !== (before[op] ?? 0)) out[op] = n - (before[op] ?? 0);
  return out;
}
