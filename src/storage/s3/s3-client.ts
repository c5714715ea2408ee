import { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from './config.ts';
import { countRequests } from './request-count.ts';

const clients = new Map<string, S3Client>();

/** One client per distinct configuration, shared by every query of the process (it pools connections). */
export function s3Client(cfg: S3Config): S3Client {
  const id = JSON.stringify(cfg);
  let client = clients.get(id);
  if (client) return client;
  client = new S3Client({
    region: cfg.region,
    ...(cfg.endpoint !== undefined ? { endpoint: cfg.endpoint } : {}),
    forcePathStyle: cfg.forcePathStyle,
    followRegionRedirects: true,
    // Our policy (retry.ts) retries, inside one time budget; the SDK's retries would multiply it.
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: cfg.connectionTimeoutMs,
      // Idle time: a stalled request (no bytes either way) fails and is retried, while a large
      // upload that keeps moving is never cut short.
      socketTimeout: cfg.requestTimeoutMs,
    },
  });
  countRequests(client);
  clients.set(id, client);
  return client;
}
