/**
 * S3 settings: session config `sluice.s3.<name>` first, then the environment, then defaults.
 * Credentials are deliberately not here: they come from the AWS SDK's standard chain
 * (environment, profile, SSO, container/instance role), so sluice never holds or prints one.
 */
import { OptionError } from '../../errors.ts';

export interface S3Config {
  /** Custom endpoint (MinIO, s3rver, ...); undefined = AWS's own. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** Total time one call may spend retrying transient failures before it fails. */
  readonly retryTimeoutMs: number;
  /** A request with no bytes moving for this long is abandoned (and retried). */
  readonly requestTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  /** Objects at least this large go up as multipart uploads. */
  readonly multipartThresholdBytes: number;
  readonly partSizeBytes: number;
  /** MaxKeys of each ListObjectsV2 page (S3 caps it at 1000). */
  readonly listPageSize: number;
}

type NumericKey = 'retryTimeoutMs' | 'requestTimeoutMs' | 'connectionTimeoutMs' | 'multipartThresholdBytes' | 'partSizeBytes' | 'listPageSize';

const MiB = 1024 * 1024;
const NUMERIC_DEFAULTS: Record<NumericKey, { value: number; min: number; max?: number }> = {
  retryTimeoutMs: { value: 60_000, min: 0 },
  requestTimeoutMs: { value: 30_000, min: 1 },
  connectionTimeoutMs: { value: 5_000, min: 1 },
  // 16 MiB parts keep memory modest and stay far below S3's 10,000-part limit up to 160 GiB.
  multipartThresholdBytes: { value: 16 * MiB, min: 1 },
  partSizeBytes: { value: 16 * MiB, min: 1 },
  listPageSize: { value: 1000, min: 1, max: 1000 },
};

/** `retryTimeoutMs` -> `SLUICE_S3_RETRY_TIMEOUT_MS`. */
const envName = (name: string): string => 'SLUICE_S3_' + name.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();

type Env = Readonly<Record<string, string | undefined>>;

function lookup(conf: ReadonlyMap<string, string> | undefined, env: Env, name: string, envNames: readonly string[]): { value: string; from: string } | undefined {
  const key = `sluice.s3.${name}`;
  const c = conf?.get(key);
  if (c !== undefined && c.trim() !== '') return { value: c.trim(), from: `session config '${key}'` };
  for (const e of envNames) {
    const v = env[e];
    if (v !== undefined && v.trim() !== '') return { value: v.trim(), from: `environment variable ${e}` };
  }
  return undefined;
}

function parseBool(v: { value: string; from: string }): boolean {
  const s = v.value.toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new OptionError(`${v.from} must be true or false, got '${v.value}'.`);
}

/** The S3 settings of a session (its config map) in an environment. */
export function resolveS3Config(conf: ReadonlyMap<string, string> | undefined, env: Env = process.env): S3Config {
  const endpoint = lookup(conf, env, 'endpoint', ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']);
  if (endpoint && !/^https?:\/\/[^/\s]+/.test(endpoint.value)) {
    throw new OptionError(`${endpoint.from} must be an http:// or https:// URL such as http://127.0.0.1:9000, got '${endpoint.value}'.`);
  }
  const region = lookup(conf, env, 'region', ['AWS_REGION', 'AWS_DEFAULT_REGION']);
  const pathStyle = lookup(conf, env, 'forcePathStyle', ['SLUICE_S3_FORCE_PATH_STYLE']);
  const num = {} as Record<NumericKey, number>;
  for (const [name, d] of Object.entries(NUMERIC_DEFAULTS) as [NumericKey, (typeof NUMERIC_DEFAULTS)[NumericKey]][]) {
    const v = lookup(conf, env, name, [envName(name)]);
    if (v === undefined) { num[name] = d.value; continue; }
    const n = Number(v.value);
    if (!/^\d+$/.test(v.value) || !Number.isSafeInteger(n) || n < d.min || (d.max !== undefined && n > d.max)) {
      throw new OptionError(`${v.from} must be a whole number from ${d.min}${d.max !== undefined ? ` to ${d.max}` : ''}, got '${v.value}' (default ${d.value}).`);
    }
    num[name] = n;
  }
  return {
    endpoint: endpoint?.value.replace(/\/+$/, ''),
    // A region is needed to sign requests; S3 redirects a wrong one (followRegionRedirects).
    region: region?.value ?? 'us-east-1',
    forcePathStyle: pathStyle ? parseBool(pathStyle) : false,
    ...num,
  };
}
