import { AnalysisError } from '../errors.ts';
import { type DataType, type Struct, array, decimal, map, struct, typeByName } from './types.ts';

/**
 * Spark's DDL schema strings, as from_json and readers take them: `'a INT, b STRING'`,
 * `'id BIGINT NOT NULL, tags STRUCT<k: STRING, v: DOUBLE>'`, `ARRAY<T>`, `MAP<K, V>`, or a whole `STRUCT<…>`; backquoted
 * names, COMMENT '…' clauses. A small recursive-descent reader: the grammar is a few lines of
 * Spark's SqlBase.g4 (colTypeList, complexDataType), not worth a parser library.
 */
export function parseDdlSchema(ddl: string): Struct {
  const r = new Reader(ddl);
  r.skip();
  if (/^struct\s*</i.test(r.rest())) {
    const t = r.type();
    r.end();
    return t as Struct;
  }
  const fields = r.fieldList(null);
  r.end();
  return struct(fields);
}

/**
 * from_json's schema string: a field list or STRUCT<…> as parseDdlSchema reads it, or a whole
 * ARRAY<…> or MAP<…> (PySpark: from_json(df.value, "MAP<STRING,INT>")).
 */
export function parseDdlType(ddl: string): DataType {
  if (!/^\s*(array|map)\s*</i.test(ddl)) return parseDdlSchema(ddl);
  const r = new Reader(ddl);
  const t = r.type();
  r.end();
  return t;
}

class Reader {
  private i = 0;
  constructor(private readonly s: string) {}

  rest(): string { return this.s.slice(this.i); }
  skip(): void { while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++; }

  private fail(what: string): never {
    throw new AnalysisError(`Cannot parse the schema '${this.s}': ${what} at position ${this.i + 1}. Write it as Spark's DDL, like 'id BIGINT, name STRING, tags STRUCT<k: STRING, v: DOUBLE>'.`);
  }

  private eat(ch: string): boolean {
    this.skip();
    if (this.s[this.i] === ch) { this.i++; return true; }
    return false;
  }

  private word(): string {
    this.skip();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.rest());
    if (!m) this.fail('expected a name');
    this.i += m[0].length;
    return m[0];
  }

  private name(): string {
    this.skip();
    if (this.s[this.i] !== '`') return this.word();
    let out = '';
    for (this.i++; this.i < this.s.length; this.i++) {
      if (this.s[this.i] === '`') { if (this.s[this.i + 1] === '`') { out += '`'; this.i++; } else { this.i++; return out; } } else out += this.s[this.i];
    }
    return this.fail('a backquoted name is not closed');
  }

  /** name [:] type [NOT NULL] [COMMENT '…'] {, …}, up to `close` (or the end). */
  fieldList(close: string | null): { name: string; type: DataType; nullable: boolean }[] {
    const out: { name: string; type: DataType; nullable: boolean }[] = [];
    do {
      const name = this.name();
      this.eat(':');
      const type = this.type();
      let nullable = true;
      this.skip();
      if (/^not\s+null\b/i.test(this.rest())) { this.i += /^not\s+null/i.exec(this.rest())![0].length; nullable = false; }
      this.skip();
      if (/^comment\b/i.test(this.rest())) {
        this.i += 'comment'.length;
        this.skip();
        if (this.s[this.i] !== "'") this.fail("expected a quoted comment");
        const end = this.s.indexOf("'", this.i + 1);
        if (end < 0) this.fail('the comment is not closed');
        this.i = end + 1;
      }
      out.push({ name, type, nullable });
      this.skip();
    } while (this.eat(','));
    if (close !== null && !this.eat(close)) this.fail(`expected ',' or '${close}'`);
    return out;
  }

  type(): DataType {
    const w = this.word();
    if (w.toLowerCase() === 'struct') {
      if (!this.eat('<')) this.fail("expected '<' after STRUCT");
      if (this.eat('>')) return struct([]);
      return struct(this.fieldList('>'));
    }
    if (/^(decimal|dec|numeric)$/i.test(w)) {
      // DECIMAL, DECIMAL(p) or DECIMAL(p, s), as Spark's DDL; decimal() says what is out of range.
      const nums: number[] = [];
      if (this.eat('(')) {
        do { this.skip(); const m = /^\d+/.exec(this.rest()); if (!m) this.fail('expected a number'); this.i += m[0].length; nums.push(Number(m[0])); } while (this.eat(','));
        if (nums.length > 2 || !this.eat(')')) this.fail(`expected DECIMAL(precision, scale)`);
      }
      try { return decimal(nums[0] ?? 10, nums[1] ?? 0); } catch (e) { return this.fail((e as Error).message); }
    }
    if (w.toLowerCase() === 'array') {
      if (!this.eat('<')) this.fail("expected '<' after ARRAY");
      const el = this.type();
      if (!this.eat('>')) this.fail("expected '>' to close ARRAY<");
      return array(el);
    }
    if (w.toLowerCase() === 'map') {
      if (!this.eat('<')) this.fail("expected '<' after MAP");
      const k = this.type();
      if (!this.eat(',')) this.fail("expected ',' between MAP's key and value types");
      const v = this.type();
      if (!this.eat('>')) this.fail("expected '>' to close MAP<");
      return map(k, v);
    }
    const alias: Record<string, string> = { tinyint: 'int', smallint: 'int', byte: 'int', short: 'int', real: 'double' };
    try { return typeByName(alias[w.toLowerCase()] ?? w); } catch { return this.fail(`unknown type '${w}'`); }
  }

  end(): void {
    this.skip();
    if (this.i < this.s.length) this.fail(`unexpected '${this.s.slice(this.i, this.i + 10)}'`);
  }
}
