import { createRequire } from 'node:module';
import { OptionError } from '../../errors.ts';

/** What an OAUTHBEARER token callback returns: the token, and how long it may be used. */
export interface OAuthBearerToken {
  /** The token sent to the broker (a JWT, an MSK IAM token, ...). */
  readonly value: string;
  /** Milliseconds since the epoch when it expires; without it (or lifetimeMs) the token is fetched for every connection. */
  readonly expiresAtMs?: number;
  /** Milliseconds from now it stays valid (alternative to expiresAtMs). */
  readonly lifetimeMs?: number;
  /** SASL extensions (KIP-342), e.g. Confluent Cloud's logicalCluster and identityPoolId. */
  readonly extensions?: Readonly<Record<string, string>>;
}

export type OAuthBearerCallback = () => Promise<OAuthBearerToken | string>;

/** The kafkajs side: a provider that returns the token to send now. */
export type TokenProvider = () => Promise<{ value: string; extensions?: Record<string, string> }>;

/**
 * Token callbacks by name. Options are strings, so a script registers its callback under a
 * name and the option `kafka.sasl.login.callback.handler.class` names it: the option Java's
 * Kafka client uses for the class that fetches the token, so a PySpark job's option stays and
 * the class becomes a function.
 */
const callbacks = new Map<string, OAuthBearerCallback>();

/** Registers (or replaces) the OAUTHBEARER token callback named `name`. */
export function registerOAuthBearerCallback(name: string, callback: OAuthBearerCallback): void {
  if (!name) throw new OptionError('registerOAuthBearerCallback needs a name, the value you give option kafka.sasl.login.callback.handler.class.');
  callbacks.set(name, callback);
}

export function oauthBearerCallback(name: string): OAuthBearerCallback | undefined { return callbacks.get(name); }
export const registeredCallbacks = (): string[] => [...callbacks.keys()];

/**
 * kafkajs asks for a token on every connection and leaves reuse to the provider: a token is
 * reused until 80% of its lifetime has passed (Kafka's sasl.login.refresh.window.factor default).
 * `onToken` learns each token value, so messages can be scrubbed of it.
 */
export function cachingProvider(fetchToken: OAuthBearerCallback, onToken: (value: string) => void): TokenProvider {
  let cached: { value: string; extensions?: Record<string, string>; refreshAt: number } | null = null;
  let pending: Promise<{ value: string; extensions?: Record<string, string> }> | null = null;
  return async () => {
    if (cached && Date.now() < cached.refreshAt) return cached;
    pending ??= (async () => {
      const t = await fetchToken();
      const tok: OAuthBearerToken = typeof t === 'string' ? { value: t } : t;
      if (typeof tok?.value !== 'string' || !tok.value) throw new Error('the OAUTHBEARER token callback returned no token value');
      onToken(tok.value);
      const now = Date.now();
      const expires = tok.expiresAtMs ?? (tok.lifetimeMs !== undefined ? now + tok.lifetimeMs : now);
      cached = { value: tok.value, extensions: tok.extensions ? { ...tok.extensions } : undefined, refreshAt: now + 0.8 * (expires - now) };
      return cached;
    })().finally(() => { pending = null; });
    return pending;
  };
}

/**
 * Kafka's default OAUTHBEARER login without a callback handler: an unsecured JWT (alg none) built
 * from the JAAS options unsecuredLoginStringClaim_sub (required), unsecuredLoginLifetimeSeconds
 * (default 3600) and unsecuredLoginExtension_<name>, as OAuthBearerUnsecuredLoginCallbackHandler
 * does. For development brokers only, as in Kafka.
 */
export function unsecuredToken(jaas: Readonly<Record<string, string>>): OAuthBearerCallback {
  const sub = jaas['unsecuredLoginStringClaim_sub'];
  if (!sub) {
    throw new OptionError(`SASL mechanism OAUTHBEARER needs a token: register a callback with registerOAuthBearerCallback(name, fn) and set option `
      + `kafka.sasl.login.callback.handler.class to its name (or, for a development broker, unsecuredLoginStringClaim_sub in kafka.sasl.jaas.config).`);
  }
  const lifetimeS = Number(jaas['unsecuredLoginLifetimeSeconds'] ?? 3600);
  const extensions = Object.fromEntries(Object.entries(jaas).filter(([k]) => k.startsWith('unsecuredLoginExtension_')).map(([k, v]) => [k.slice('unsecuredLoginExtension_'.length), v]));
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return async () => {
    const iat = Math.floor(Date.now() / 1000);
    return { value: `${b64({ alg: 'none' })}.${b64({ sub, iat, exp: iat + lifetimeS })}.`, lifetimeMs: lifetimeS * 1000, extensions };
  };
}

/** The callback-handler class names AWS ships for MSK IAM over OAUTHBEARER; they map to the signer below. */
export const MSK_IAM_HANDLERS = ['software.amazon.msk.auth.iam.IAMOAuthBearerLoginCallbackHandler', 'software.amazon.msk.auth.iam.IAMClientCallbackHandler'];
export const isMskIamHandler = (cls: string): boolean => MSK_IAM_HANDLERS.some((h) => cls === h || cls.endsWith(`.${h}`));

interface SignerOptions { region: string; awsProfileName?: string; awsRoleArn?: string; awsRoleSessionName?: string; awsDebugCreds?: boolean }
interface Signer {
  generateAuthToken(o: SignerOptions): Promise<{ token: string; expiryTime: number }>;
  generateAuthTokenFromProfile(o: SignerOptions): Promise<{ token: string; expiryTime: number }>;
  generateAuthTokenFromRole(o: SignerOptions): Promise<{ token: string; expiryTime: number }>;
}
const require = createRequire(import.meta.url);

/** The region of an MSK broker host name (b-1.name.id.c2.kafka.us-east-1.amazonaws.com), as AWS's Java login module reads it. */
export function mskRegion(servers: readonly string[]): string | undefined {
  for (const s of servers) {
    const m = /\.kafka(?:-serverless)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?::\d+)?$/i.exec(s);
    if (m) return m[1]!.toLowerCase();
  }
  return undefined;
}

/**
 * AWS_MSK_IAM through AWS's own signer (npm aws-msk-iam-sasl-signer-js), sent as OAUTHBEARER,
 * as AWS documents for kafkajs. Credentials come from the AWS default chain, or the JAAS
 * options awsProfileName / awsRoleArn (+ awsRoleSessionName) as in AWS's IAMLoginModule.
 */
export function mskIamToken(servers: readonly string[], jaas: Readonly<Record<string, string>>): OAuthBearerCallback {
  const region = mskRegion(servers) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new OptionError(`SASL mechanism AWS_MSK_IAM needs the cluster's AWS region: it is read from an MSK broker host name in kafka.bootstrap.servers `
      + `(…kafka.<region>.amazonaws.com) or from the environment variable AWS_REGION; neither gives one.`);
  }
  const signer = require('aws-msk-iam-sasl-signer-js') as Signer;
  const o: SignerOptions = { region, awsDebugCreds: jaas['awsDebugCreds'] === 'true' };
  return async () => {
    const { token, expiryTime } = jaas['awsRoleArn']
      ? await signer.generateAuthTokenFromRole({ ...o, awsRoleArn: jaas['awsRoleArn'], awsRoleSessionName: jaas['awsRoleSessionName'] })
      : jaas['awsProfileName'] ? await signer.generateAuthTokenFromProfile({ ...o, awsProfileName: jaas['awsProfileName'] })
        : await signer.generateAuthToken(o);
    return { value: token, expiresAtMs: expiryTime };
  };
}
