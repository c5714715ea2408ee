import * as tls from 'node:tls';
import type { ISocketFactory, SASLOptions } from 'kafkajs';
import { OptionError } from '../../errors.ts';
import { type JaasEntry, knownLoginModules, loginModuleKind, parseJaasConfig } from './jaas-config.ts';
import { keyStore, trustStore } from './key-stores.ts';
import { cachingProvider, isMskIamHandler, mskIamToken, oauthBearerCallback, registeredCallbacks, unsecuredToken } from './oauth-bearer.ts';
import { isSecretJaasOption, scrubSecrets } from './secret-options.ts';
import { explainConnectError, type HandshakeLog, watchingSocketFactory } from './connect-diagnosis.ts';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER', 'AWS_MSK_IAM'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** The Spark (`kafka.` + Kafka client config) option names this module reads; source and sink accept them all. */
export const kafkaSecurityOptionNames = [
  'kafka.security.protocol', 'kafka.sasl.mechanism', 'kafka.sasl.jaas.config', 'kafka.sasl.username', 'kafka.sasl.password',
  'kafka.sasl.login.callback.handler.class', 'kafka.sasl.client.callback.handler.class',
  'kafka.ssl.truststore.location', 'kafka.ssl.truststore.type', 'kafka.ssl.truststore.password', 'kafka.ssl.truststore.certificates',
  'kafka.ssl.keystore.location', 'kafka.ssl.keystore.type', 'kafka.ssl.keystore.password', 'kafka.ssl.keystore.certificate.chain',
  'kafka.ssl.keystore.key', 'kafka.ssl.key.password', 'kafka.ssl.endpoint.identification.algorithm',
] as const;

/** A connection's security, parsed once from the options: what kafkajs needs, and what messages may say. */
export interface KafkaSecurity {
  readonly protocol: SecurityProtocol;
  readonly mechanism: SaslMechanism | null;
  /** Spread into kafkajs's `new Kafka({...})`. */
  readonly kafkajs: { readonly ssl?: tls.ConnectionOptions; readonly sasl?: SASLOptions; readonly socketFactory: ISocketFactory };
  /** For messages: "SASL_SSL, SCRAM-SHA-512 as user 'alice'"; never a secret. */
  readonly summary: string;
  /** `text` with every secret this configuration knows (passwords, JAAS config, tokens seen) blanked. */
  scrub(text: string): string;
  /**
   * What a failed connection to `servers` means, naming the options to look at (wrong password,
   * TLS to a plaintext port, untrusted certificate ...), or null when it is no security matter.
   */
  explain(e: unknown, servers: readonly string[]): { readonly text: string; readonly permanent: boolean } | null;
}

const PROTOCOL = 'kafka.security.protocol', MECHANISM = 'kafka.sasl.mechanism', JAAS = 'kafka.sasl.jaas.config';
const USER = 'kafka.sasl.username', PASSWORD = 'kafka.sasl.password', LOGIN_HANDLER = 'kafka.sasl.login.callback.handler.class';
const CLIENT_HANDLER = 'kafka.sasl.client.callback.handler.class', ENDPOINT_ID = 'kafka.ssl.endpoint.identification.algorithm';

function protocolOf(o: ReadonlyMap<string, string>): SecurityProtocol {
  const v = (o.get(PROTOCOL) ?? 'PLAINTEXT').trim().toUpperCase();
  if ((SECURITY_PROTOCOLS as readonly string[]).includes(v)) return v as SecurityProtocol;
  throw new OptionError(`Option '${PROTOCOL}' is '${o.get(PROTOCOL)}'; it must be one of ${SECURITY_PROTOCOLS.join(', ')}.`);
}

function mechanismOf(o: ReadonlyMap<string, string>, jaas: JaasEntry | null): SaslMechanism {
  const v = o.get(MECHANISM)?.trim().toUpperCase();
  if (v === undefined) {
    const kind = jaas && loginModuleKind(jaas.loginModule);
    const hint = kind === 'plain' ? ' Your JAAS config uses PlainLoginModule: set it to PLAIN.'
      : kind === 'scram' ? ' Your JAAS config uses ScramLoginModule: set it to SCRAM-SHA-512 or SCRAM-SHA-256, as the cluster expects.'
        : kind === 'aws-msk-iam' ? ' Your JAAS config uses IAMLoginModule: set it to AWS_MSK_IAM.' : '';
    throw new OptionError(`Option '${MECHANISM}' is not set. Kafka's default, GSSAPI (Kerberos), is not supported; set one of ${SASL_MECHANISMS.join(', ')}.${hint}`);
  }
  if ((SASL_MECHANISMS as readonly string[]).includes(v)) return v as SaslMechanism;
  const why = v === 'GSSAPI' ? ' GSSAPI (Kerberos) is not supported: no maintained npm library does it for kafkajs.' : '';
  throw new OptionError(`Option '${MECHANISM}' is '${o.get(MECHANISM)}'; it must be one of ${SASL_MECHANISMS.join(', ')}.${why}`);
}

/** Username and password for PLAIN and SCRAM: from the JAAS config (PlainLoginModule / ScramLoginModule) or kafka.sasl.username/password. */
function credentials(o: ReadonlyMap<string, string>, jaas: JaasEntry | null, mechanism: SaslMechanism): { username: string; password: string } {
  if (jaas && (o.has(USER) || o.has(PASSWORD))) throw new OptionError(`Options '${JAAS}' and '${o.has(USER) ? USER : PASSWORD}' are both set; give the credentials one way.`);
  if (jaas) {
    const kind = loginModuleKind(jaas.loginModule);
    // Kafka's client takes username/password from either module whatever the mechanism; so does sluice.
    if (kind !== 'plain' && kind !== 'scram') {
      throw new OptionError(`SASL mechanism ${mechanism} needs a PlainLoginModule or ScramLoginModule in option '${JAAS}'; it names ${jaas.loginModule}.`);
    }
    const missing = ['username', 'password'].filter((k) => jaas.options[k] === undefined);
    if (missing.length) throw new OptionError(`Option '${JAAS}' (${jaas.loginModule}) has no ${missing.join(' and no ')}=; SASL ${mechanism} needs both.`);
    return { username: jaas.options['username']!, password: jaas.options['password']! };
  }
  if (o.has(USER) && o.has(PASSWORD)) return { username: o.get(USER)!, password: o.get(PASSWORD)! };
  if (o.has(USER) || o.has(PASSWORD)) throw new OptionError(`Option '${o.has(USER) ? USER : PASSWORD}' needs '${o.has(USER) ? PASSWORD : USER}' too.`);
  throw new OptionError(`SASL mechanism ${mechanism} needs credentials: set option '${JAAS}' as in Spark, e.g. `
    + `${mechanism === 'PLAIN' ? 'org.apache.kafka.common.security.plain.PlainLoginModule' : 'org.apache.kafka.common.security.scram.ScramLoginModule'} `
    + `required username="..." password="...";  (or options '${USER}' and '${PASSWORD}').`);
}

function tlsOptions(o: ReadonlyMap<string, string>): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = { ...trustStore(o), ...keyStore(o) };
  const algo = o.get(ENDPOINT_ID);
  if (algo !== undefined) {
    // As Kafka: 'https' (the default) checks the broker's host name against its certificate; '' turns that off, not the chain check.
    if (algo.trim() === '') opts.checkServerIdentity = () => undefined;
    else if (algo.trim().toLowerCase() !== 'https') throw new OptionError(`Option '${ENDPOINT_ID}' is '${algo}'; it must be 'https' (check the host name, the default) or '' (do not).`);
  }
  // Built once here so a wrong store password or a bad PEM is an option error now, not a connection failure later.
  try { tls.createSecureContext(opts); } catch (e) {
    const which = o.has('kafka.ssl.keystore.location') || o.has('kafka.ssl.keystore.key') ? 'the keystore (kafka.ssl.keystore.*, kafka.ssl.key.password)' : 'the truststore (kafka.ssl.truststore.*)';
    throw new OptionError(`The TLS settings cannot be used: ${(e as Error).message}. Check ${which}.`, { cause: e });
  }
  return opts;
}

const SASL_ONLY = [MECHANISM, JAAS, USER, PASSWORD, LOGIN_HANDLER, CLIENT_HANDLER];

/** Parses and checks the security options (Spark's names) against the servers they are for. */
export function parseKafkaSecurity(o: ReadonlyMap<string, string>, servers: readonly string[]): KafkaSecurity {
  const protocol = protocolOf(o);
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL', usesSasl = protocol.startsWith('SASL_');
  // Kafka ignores settings the protocol does not use (with a warning in a log nobody reads): here they are refused, as they
  // mean the protocol is not what the user thinks, and credentials would otherwise go nowhere (or in clear text).
  const straySasl = usesSasl ? undefined : SASL_ONLY.find((k) => o.has(k));
  if (straySasl) throw new OptionError(`Option '${straySasl}' is set, but '${PROTOCOL}' is ${protocol}${o.has(PROTOCOL) ? '' : ' (the default)'}, which does no SASL. Set '${PROTOCOL}' to SASL_SSL (or SASL_PLAINTEXT).`);
  const strayTls = usesTls ? undefined : kafkaSecurityOptionNames.find((k) => k.startsWith('kafka.ssl.') && o.has(k));
  if (strayTls) throw new OptionError(`Option '${strayTls}' is set, but '${PROTOCOL}' is ${protocol}${o.has(PROTOCOL) ? '' : ' (the default)'}, which does no TLS. Set '${PROTOCOL}' to SSL or SASL_SSL.`);

  const secrets = new Set<string>();
  const keep = (s: string | undefined): void => { if (s) secrets.add(s); };
  for (const k of kafkaSecurityOptionNames) if (/password|jaas|\.key$/.test(k)) keep(o.get(k));

  const ssl = usesTls ? tlsOptions(o) : undefined;
  let sasl: SASLOptions | undefined, mechanism: SaslMechanism | null = null, who = '';
  if (usesSasl) {
    const jaas = o.has(JAAS) ? parseJaasConfig(o.get(JAAS)!) : null;
    if (jaas && !loginModuleKind(jaas.loginModule)) {
      throw new OptionError(`Option '${JAAS}' names login module ${jaas.loginModule}; sluice knows ${knownLoginModules.join(', ')}.`);
    }
    for (const [k, v] of Object.entries(jaas?.options ?? {})) if (isSecretJaasOption(k)) keep(v);
    mechanism = mechanismOf(o, jaas);
    const clientHandler = o.get(CLIENT_HANDLER);
    if (clientHandler !== undefined && !(mechanism === 'AWS_MSK_IAM' && isMskIamHandler(clientHandler))) {
      throw new OptionError(`Option '${CLIENT_HANDLER}' is '${clientHandler}'; sluice takes only AWS's IAMClientCallbackHandler with AWS_MSK_IAM (Java callback classes do not run here).`);
    }
    if (mechanism === 'PLAIN' || mechanism === 'SCRAM-SHA-256' || mechanism === 'SCRAM-SHA-512') {
      const { username, password } = credentials(o, jaas, mechanism);
      keep(password);
      who = ` as user '${username}'`;
      sasl = { mechanism: mechanism.toLowerCase() as 'plain', username, password };
    } else {
      const fetchToken = mechanism === 'AWS_MSK_IAM' ? mskIamOf(o, jaas, servers) : oauthOf(o, jaas, servers);
      sasl = { mechanism: 'oauthbearer', oauthBearerProvider: cachingProvider(fetchToken, (t) => secrets.add(t)) };
      if (mechanism === 'AWS_MSK_IAM') who = ' (AWS IAM credentials from the AWS default chain)';
    }
  }
  const log: HandshakeLog = new Map();
  const summary = `${protocol}${mechanism ? `, SASL ${mechanism}${who}` : ''}`;
  const scrub = (text: string): string => scrubSecrets(text, secrets);
  return {
    protocol, mechanism, summary, scrub,
    kafkajs: { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}), socketFactory: watchingSocketFactory(log) },
    explain: (e, s) => {
      const d = explainConnectError(e, { protocol, mechanism, summary, servers: s, log });
      return d && { text: scrub(d.text), permanent: d.permanent };
    },
  };
}

function mskIamOf(o: ReadonlyMap<string, string>, jaas: JaasEntry | null, servers: readonly string[]): ReturnType<typeof mskIamToken> {
  if (jaas && loginModuleKind(jaas.loginModule) !== 'aws-msk-iam') {
    throw new OptionError(`SASL mechanism AWS_MSK_IAM needs software.amazon.msk.auth.iam.IAMLoginModule in option '${JAAS}'; it names ${jaas.loginModule}.`);
  }
  return mskIamToken(servers, jaas?.options ?? {});
}

function oauthOf(o: ReadonlyMap<string, string>, jaas: JaasEntry | null, servers: readonly string[]): ReturnType<typeof mskIamToken> {
  if (jaas && loginModuleKind(jaas.loginModule) !== 'oauthbearer' && loginModuleKind(jaas.loginModule) !== 'aws-msk-iam') {
    throw new OptionError(`SASL mechanism OAUTHBEARER needs OAuthBearerLoginModule in option '${JAAS}'; it names ${jaas.loginModule}.`);
  }
  const handler = o.get(LOGIN_HANDLER);
  // AWS's MSK IAM over OAUTHBEARER, as its Java docs write it.
  if (handler !== undefined && isMskIamHandler(handler)) return mskIamToken(servers, jaas?.options ?? {});
  if (handler !== undefined) {
    const cb = oauthBearerCallback(handler);
    if (!cb) {
      const known = registeredCallbacks();
      throw new OptionError(`Option '${LOGIN_HANDLER}' names '${handler}', but no OAUTHBEARER callback is registered under that name `
        + `(${known.length ? `registered: ${known.join(', ')}` : 'none is registered'}). Call registerOAuthBearerCallback('${handler}', async () => ({ value, lifetimeMs })) before load().`);
    }
    return cb;
  }
  return unsecuredToken(jaas?.options ?? {});
}
