import { ParseError } from '../../errors.ts';

/**
 * Tokens of a Spark SQL expression. Keywords are not a kind of their own: an unquoted identifier
 * is compared case-insensitively where the grammar expects a keyword (`and`, `AND`), and a
 * backquoted one never is (`` `and` `` is a column), as in Spark.
 */
export type Token =
  | { readonly kind: 'num'; readonly text: string; readonly pos: number }
  | { readonly kind: 'str'; readonly value: string; readonly pos: number; readonly text: string }
  | { readonly kind: 'ident'; readonly text: string; readonly quoted: boolean; readonly pos: number }
  | { readonly kind: 'op'; readonly text: string; readonly pos: number }
  | { readonly kind: 'eof'; readonly pos: number; readonly text: '' };

/** Longest first, so `<=>` is not read as `<=` then `>`. */
const operators = ['<=>', '<>', '!=', '<=', '>=', '==', '||', '::', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.', '[', ']', '!', '&', '|', '^', '~'];

/** Spark's escapes in string literals (its default, spark.sql.parser.escapedStringLiterals=false). */
const escapes: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a', '%': '\\%', _: '\\_' };

const isIdentStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isIdentPart = (c: string): boolean => /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const fail = (reason: string, at: number): never => { throw new ParseError(reason, text, at); };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const start = i;
    if (c === "'" || c === '"') {
      // Both quotes delimit strings in Spark; a backslash escapes the next character.
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail(`Unterminated string literal; expected a closing ${c}`, start);
        const d = text[i]!;
        if (d === c) { i++; break; }
        if (d === '\\' && i + 1 < text.length) { const e = text[i + 1]!; value += escapes[e] ?? e; i += 2; continue; }
        value += d; i++;
      }
      out.push({ kind: 'str', value, pos: start, text: text.slice(start, i) });
      continue;
    }
    if (c === '`') {
      // Backquoted identifier; `` inside it is one backquote.
      let name = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('Unterminated quoted identifier; expected a closing `', start);
        if (text[i] === '`') { if (text[i + 1] === '`') { name += '`'; i += 2; continue; } i++; break; }
        name += text[i]; i++;
      }
      out.push({ kind: 'ident', text: name, quoted: true, pos: start });
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1] ?? ''))) {
      while (isDigit(text[i] ?? '')) i++;
      if (text[i] === '.') { i++; while (isDigit(text[i] ?? '')) i++; }
      if (/[eE]/.test(text[i] ?? '') && /[-+\d]/.test(text[i + 1] ?? '')) {
        i += 2;
        while (isDigit(text[i] ?? '')) i++;
      }
      // Spark's suffixes: L (bigint), S, Y (small ints), D, F, BD (an exact decimal).
      const suffix = /^(BD|[LSYDF])(?![A-Za-z0-9_])/i.exec(text.slice(i));
      if (suffix) i += suffix[0].length;
      else if (isIdentStart(text[i] ?? '')) fail(`Invalid number '${text.slice(start, i + 1)}'`, start);
      out.push({ kind: 'num', text: text.slice(start, i), pos: start });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < text.length && isIdentPart(text[i]!)) i++;
      out.push({ kind: 'ident', text: text.slice(start, i), quoted: false, pos: start });
      continue;
    }
    const op = operators.find((o) => text.startsWith(o, i));
    if (!op) fail(`Unexpected character '${c}'`, i);
    out.push({ kind: 'op', text: op!, pos: i });
    i += op!.length;
  }
  out.push({ kind: 'eof', pos: text.length, text: '' });
  return out;
}
