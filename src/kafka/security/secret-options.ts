import { type JaasEntry, parseJaasConfig } from './jaas-config.ts';

/**
 * Which options hold secrets, and their redaction. The name rule is Spark's default
 * spark.redaction.regex, `(?i)secret|password|token|access[.]key`, plus the JAAS config (it
 * carries the password) and the inline PEM private key.
 */
const SECRET_NAME = /secret|password|token|access[.]key|jaas|\.ssl\.keystore\.key$/i;

export const REDACTED = '*********(redacted)';

export const isSecretOption = (name: string): boolean => SECRET_NAME.test(name);

/** Secret keys inside a JAAS line (password, clientSecret); not Spark's whole rule, which would take `tokenauth=true` for one. */
export const isSecretJaasOption = (key: string): boolean => /password|secret/i.test(key);

/**
 * The options with every secret value replaced, for anything that shows them. The JAAS line keeps
 * its login module and user name and loses its secret values, as Spark's KafkaRedactionUtil does;
 * one that does not parse is replaced whole.
 */
export function redactOptions(options: ReadonlyMap<string, string> | Readonly<Record<string, string>>): Record<string, string> {
  const entries = options instanceof Map ? [...options] : Object.entries(options);
  return Object.fromEntries(entries.map(([k, v]) => [k, /jaas/i.test(k) ? redactJaasConfig(v) : isSecretOption(k) ? REDACTED : v]));
}

export function redactJaasConfig(text: string): string {
  if (!text) return text;
  let e: JaasEntry;
  try { e = parseJaasConfig(text); } catch { return REDACTED; }
  const opts = Object.entries(e.options).map(([k, v]) => `${k}="${isSecretJaasOption(k) ? REDACTED : v.replace(/["\\]/g, '\\$&')}"`);
  return `${[e.loginModule, e.flag, ...opts].join(' ')};`;
}

/**
 * `text` with every occurrence of a secret replaced: a last guard on messages built from other
 * libraries' errors, which sluice does not write. Values shorter than 4 characters are left, as
 * they would blank out ordinary words.
 */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join(REDACTED);
  return out;
}
