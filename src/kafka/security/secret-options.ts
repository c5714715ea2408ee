/**
 * Which options hold secrets, and their redaction. The name rule is Spark's default
 * spark.redaction.regex, `(?i)secret|password|token|access[.]key`, plus the JAAS config (it
 * carries the password) and the inline PEM private key.
 */
const SECRET_NAME = /secret|password|token|access[.]key|jaas|\.ssl\.keystore\.key$/i;

export const REDACTED = '*********(redacted)';

export const isSecretOption = (name: string): boolean => SECRET_NAME.test(name);

/** The options as [name, value] pairs with every secret value replaced, for anything that shows them. */
export function redactOptions(options: ReadonlyMap<string, string> | Readonly<Record<string, string>>): Record<string, string> {
  const entries = options instanceof Map ? [...options] : Object.entries(options);
  return Object.fromEntries(entries.map(([k, v]) => [k, isSecretOption(k) ? REDACTED : v]));
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
