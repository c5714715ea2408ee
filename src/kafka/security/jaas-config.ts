import { OptionError } from '../../errors.ts';

/** One login module of a `sasl.jaas.config` value: `<class> <flag> key=value ...;`. */
export interface JaasEntry {
  /** The login module class, as written (shaded prefixes such as `kafkashaded.` kept). */
  readonly loginModule: string;
  readonly flag: 'required' | 'requisite' | 'sufficient' | 'optional';
  readonly options: Readonly<Record<string, string>>;
}

const OPTION = 'kafka.sasl.jaas.config';
const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);
// java.io.StreamTokenizer's escapes inside a quoted string, which Kafka's JaasConfig parser uses.
const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * Parses a `sasl.jaas.config` value as Kafka's JaasConfig does (StreamTokenizer: words, "quoted"
 * values with backslash escapes, // and /* comments) and, as Kafka requires, exactly one login
 * module. Hand-written: no npm package parses JAAS; the grammar is this small. Errors give the
 * position, never the text: it holds the password.
 */
export function parseJaasConfig(text: string): JaasEntry {
  let i = 0;
  const fail = (what: string): never => {
    throw new OptionError(`Option '${OPTION}' does not parse: ${what} at character ${i + 1} (the value is not shown: it holds secrets). `
      + `Expected the form: org.apache.kafka.common.security.plain.PlainLoginModule required username="..." password="...";`);
  };
  const skip = (): void => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('//', i)) { while (i < text.length && text[i] !== '\n') i++; continue; }
      if (text.startsWith('/*', i)) { const end = text.indexOf('*/', i + 2); if (end < 0) fail('an unclosed /* comment'); i = end + 2; continue; }
      return;
    }
  };
  const word = (): string => {
    const m = /^[^\s=;"]+/.exec(text.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  const quoted = (): string => {
    let out = '';
    for (i++; i < text.length; i++) {
      const c = text[i]!;
      if (c === '"') { i++; return out; }
      if (c !== '\\') { out += c; continue; }
      const n = text[++i];
      if (n === undefined) break;
      const oct = /^[0-7]{1,3}/.exec(text.slice(i));
      if (oct) { out += String.fromCharCode(parseInt(oct[0], 8)); i += oct[0].length - 1; } else out += ESCAPES[n] ?? n;
    }
    return fail('an unclosed quoted value');
  };

  const entries: JaasEntry[] = [];
  skip();
  while (i < text.length) {
    const loginModule = word();
    if (!loginModule) fail('a login module class name was expected');
    skip();
    const flag = word();
    if (!FLAGS.has(flag.toLowerCase())) fail(`the control flag (required, requisite, sufficient or optional) was expected after the login module ${loginModule}`);
    const options: Record<string, string> = {};
    for (;;) {
      skip();
      if (text[i] === ';') { i++; break; }
      if (i >= text.length) fail(`a ';' was expected to end the ${loginModule} entry`);
      const key = word();
      if (!key) fail('an option name was expected');
      skip();
      if (text[i] !== '=') fail(`'=' was expected after option name '${key}'`);
      i++;
      skip();
      if (text[i] === '"') options[key] = quoted();
      else options[key] = word() || fail(`a value was expected for option '${key}'`);
    }
    entries.push({ loginModule, flag: flag.toLowerCase() as JaasEntry['flag'], options });
    skip();
  }
  if (entries.length !== 1) {
    throw new OptionError(`Option '${OPTION}' must hold exactly one login module, as in Kafka; it holds ${entries.length}.`);
  }
  return entries[0]!;
}

/** The login modules sluice maps, by class name without a shading prefix (Databricks writes `kafkashaded.org.apache...`). */
export type LoginModuleKind = 'plain' | 'scram' | 'oauthbearer' | 'aws-msk-iam';
const MODULES: Record<string, LoginModuleKind> = {
  'org.apache.kafka.common.security.plain.PlainLoginModule': 'plain',
  'org.apache.kafka.common.security.scram.ScramLoginModule': 'scram',
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule': 'oauthbearer',
  'software.amazon.msk.auth.iam.IAMLoginModule': 'aws-msk-iam',
};

export function loginModuleKind(loginModule: string): LoginModuleKind | null {
  for (const [name, kind] of Object.entries(MODULES)) if (loginModule === name || loginModule.endsWith(`.${name}`)) return kind;
  return null;
}

export const knownLoginModules: readonly string[] = Object.keys(MODULES);
