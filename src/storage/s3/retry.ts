/**
 * Our retry policy for every S3 call (the SDK's own retries are off, so there is one policy and
 * one time budget): transient failures are retried with capped exponential backoff and full
 * jitter until the budget is spent; anything else, or the last failure, becomes a StorageError
 * naming the operation, bucket and key.
 */
import { StorageError } from '../../errors.ts';
import { s3Url } from './s3-path.ts';

/** One S3 operation on one object (or prefix), for messages. */
export interface S3Call {
  readonly op: string;
  readonly bucket: string;
  readonly key: string;
}

export interface RetryPolicy {
  /** Give up once this much time has gone by since the first attempt. */
  readonly totalMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Shown in messages, so a failure says which endpoint was tried. */
  readonly endpoint?: string;
}

export const DEFAULT_BACKOFF = { baseDelayMs: 50, maxDelayMs: 5_000 } as const;

/** What the SDK's errors carry; read defensively, as network errors carry none of it. */
interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  $retryable?: unknown;
  cause?: unknown;
}

const shape = (e: unknown): ErrorShape => (typeof e === 'object' && e !== null ? (e as ErrorShape) : {});

export function httpStatus(e: unknown): number | undefined {
  const s = shape(e).$metadata?.httpStatusCode;
  return typeof s === 'number' ? s : undefined;
}

export function errorName(e: unknown): string {
  const { name, code } = shape(e);
  return typeof code === 'string' && (name === 'Error' || name === undefined) ? code : typeof name === 'string' ? name : 'Error';
}

/** Throttling and server-side error codes of S3 (and S3-compatible stores) worth another try. */
const TRANSIENT_NAMES = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled', 'RequestThrottledException',
  'TooManyRequestsException', 'RequestLimitExceeded', 'BandwidthLimitExceeded', 'RequestTimeout', 'RequestTimeoutException',
  'InternalError', 'ServiceUnavailable', 'TimeoutError', 'RequestTimeTooSkewed', 'IDPCommunicationError',
  // Two conditional writes of one key raced on the server: S3 asks for a retry.
  'ConditionalRequestConflict',
]);
/** Socket-level failures: the request may or may not have reached the server; trying again is safe for our calls. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET', 'ERR_HTTP2_STREAM_ERROR',
]);

export function isTransient(e: unknown): boolean {
  const s = shape(e);
  const status = httpStatus(e);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (status === 409 && errorName(e) === 'ConditionalRequestConflict') return true;
  if (s.$retryable !== undefined && s.$retryable !== null && s.$retryable !== false) return true;
  if (TRANSIENT_NAMES.has(errorName(e))) return true;
  // Node's network errors, sometimes wrapped by the SDK (cause) or without a code ('socket hang up', 'aborted').
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 4; c = shape(c).cause, depth++) {
    const code = shape(c).code;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    const msg = shape(c).message;
    if (typeof msg === 'string' && /socket hang up|^aborted$|premature close|ECONNRESET/i.test(msg)) return true;
  }
  return false;
}

/**
 * The error, in one line, without anything that could hold a secret: name, HTTP status, the
 * service's message and request id (never headers, the request, or the SDK's raw response).
 */
export function describeS3Error(e: unknown): string {
  const s = shape(e);
  const status = httpStatus(e);
  const msg = typeof s.message === 'string' && s.message !== '' ? s.message : String(e);
  const reqId = typeof s.$metadata?.requestId === 'string' ? `, request id ${s.$metadata.requestId}` : '';
  // Without a final '.', as the caller's sentence goes on after it.
  return `${errorName(e)}${status !== undefined ? ` (HTTP ${status}${reqId})` : ''}: ${msg.split('\n')[0]!.replace(/\.+$/, '')}`;
}

function hint(e: unknown): string {
  const name = errorName(e);
  const status = httpStatus(e);
  if (name === 'CredentialsProviderError' || /credential/i.test(String(shape(e).message))) {
    return 'No usable AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run where an instance/container role is available.';
  }
  if (name === 'NoSuchBucket') return 'The bucket does not exist: create it, or fix the bucket name in the path.';
  if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
    return 'Access was refused: check the credentials and that they may read, write, list and delete under this prefix.';
  }
  if (name === 'ENOTFOUND' || /ENOTFOUND/.test(String(shape(e).message))) {
    return 'The endpoint\'s host name does not resolve: check sluice.s3.endpoint / AWS_ENDPOINT_URL_S3.';
  }
  if (name === 'PermanentRedirect' || status === 301) {
    return 'The bucket is in another region or needs another addressing style: set sluice.s3.region (AWS_REGION) or sluice.s3.forcePathStyle.';
  }
  return 'This error is not transient, so it was not retried.';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Run `attempt` until it succeeds, fails with a non-transient error, or `policy.totalMs` has gone by.
 * `attempt` gets the attempt number (1, 2, ...): attempts after the first know an earlier one
 * may have taken effect on the server although it failed here.
 */
export async function retrying<T>(call: S3Call, policy: RetryPolicy, attempt: (n: number) => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (e instanceof StorageError) throw e; // already described (a nested call gave up)
      const where = `bucket '${call.bucket}', key '${call.key}' (${s3Url(call.bucket, call.key)})`;
      const elapsed = Date.now() - started;
      if (!isTransient(e)) {
        throw new StorageError(`S3 ${call.op} failed for ${where}: ${describeS3Error(e)}. ${hint(e)}`, call.op, call.bucket, call.key, { cause: e });
      }
      const remaining = policy.totalMs - elapsed;
      if (remaining <= 0) {
        throw new StorageError(
          `S3 ${call.op} failed for ${where} after ${n} attempt${n > 1 ? 's' : ''} in ${elapsed} ms: ${describeS3Error(e)}. `
          + `Transient failures (throttling, 5xx, resets, timeouts) are retried for sluice.s3.retryTimeoutMs = ${policy.totalMs} ms; `
          + `check that the endpoint${policy.endpoint ? ` ${policy.endpoint}` : ''} is reachable and healthy, or raise sluice.s3.retryTimeoutMs.`,
          call.op, call.bucket, call.key, { cause: e },
        );
      }
      // Full jitter: a random delay up to the capped exponential, so many clients spread out.
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(n - 1, 30));
      await sleep(Math.min(remaining, Math.random() * ceiling));
    }
  }
}
