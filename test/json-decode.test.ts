import { describe, it, expect } from 'vitest';
import * as A from 'apache-arrow';
import { decodeJson } from '../src/formats/json/decode.ts';
import { BytesBuilder } from '../src/data/builders.ts';
import {
  type DataType, type StructType, struct, string, int, long, double, boolean, timestamp, date, binary,
} from '../src/data/types.ts';

// ---- helpers -------------------------------------------------------------------------------------------

const enc = new TextEncoder();
const dec = new TextDecoder();

function utf8Column(texts: readonly (string | null)[], kind: 'string' | 'binary' = 'string'): A.Data {
  const bb = new BytesBuilder(texts.length, 16);
  for (const t of texts) if (t === null) bb.appendNull(); else bb.appendBytes(enc.encode(t));
  return bb.finish(kind);
}

function bitSet(d: A.Data, i: number): boolean {
  const bm = d.nullBitmap;
  return d.nullCount === 0 || !bm || bm.length === 0 || (bm[i >> 3]! & (1 << (i & 7))) !== 0;
}

/** Reads row i of a column straight from its buffers (also checks that children of a null struct are null). */
function readValue(d: A.Data, t: DataType, i: number): unknown {
  if (!bitSet(d, i)) {
    if (t.kind === 'struct') t.fields.forEach((f, k) => expect(readValue(d.children[k]!, f.type, i), `child ${f.name} of a null struct`).toBeNull());
    return null;
  }
  switch (t.kind) {
    case 'string': case 'binary': {
      const o = d.valueOffsets as Int32Array;
      const bytes = (d.values as Uint8Array).subarray(o[i]!, o[i + 1]!);
      return t.kind === 'string' ? dec.decode(bytes) : Array.from(bytes);
    }
    case 'boolean': return ((d.values as Uint8Array)[i >> 3]! & (1 << (i & 7))) !== 0;
    case 'int': case 'date': case 'double': return (d.values as Int32Array | Float64Array)[i];
    case 'long': case 'timestamp': return (d.values as BigInt64Array)[i];
    case 'struct': {
      const o: Record<string, unknown> = {};
      t.fields.forEach((f, k) => { o[f.name] = readValue(d.children[k]!, f.type, i); });
      return o;
    }
    default: return null;
  }
}

function decode(texts: readonly (string | null)[], schema: StructType) {
  const res = decodeJson(utf8Column(texts), schema, { corruptRecord: true });
  expect(res.column.length).toBe(texts.length);
  expect(res.column.offset).toBe(0);
  const rows = texts.map((_, i) => readValue(res.column, schema, i));
  return { rows, malformed: Array.from(res.malformed), res };
}

/** One record -> its row (null for a null struct); also asserts whether it was malformed. */
function one(text: string, schema: StructType, malformed = false): Record<string, unknown> | null {
  const r = decode([text], schema);
  expect(r.malformed, `malformed? ${JSON.stringify(text)}`).toEqual(malformed ? [0] : []);
  return r.rows[0] as Record<string, unknown> | null;
}

const ms = (iso: string) => BigInt(Date.parse(iso));
const days = (iso: string) => Date.parse(iso + 'T00:00:00Z') / 86_400_000;

// ---- hand-written expectations ------------------------------------------------------------------------

describe('decodeJson: types', () => {
  const all = struct({
    s: string, i: int, l: long, d: double, b: boolean, t: timestamp, dt: date, bin: binary,
    nested: struct({ x: int, y: struct({ z: string }) }),
  });

  it('decodes every type', () => {
    const row = one(`{"s":"hi","i":-42,"l":9007199254740993,"d":-12.5e-1,"b":true,"t":"2024-01-01T10:00:00.123Z",`
      + `"dt":"2024-02-29","bin":"aGVsbG8=","nested":{"x":7,"y":{"z":"deep"}}}`, all);
    expect(row).toEqual({
      s: 'hi', i: -42, l: 9007199254740993n, d: -1.25, b: true, t: ms('2024-01-01T10:00:00.123Z'),
      dt: days('2024-02-29'), bin: [...enc.encode('hello')], nested: { x: 7, y: { z: 'deep' } },
    });
  });

  it('missing fields, explicit nulls and extra fields', () => {
    expect(one(`{}`, all)).toEqual({ s: null, i: null, l: null, d: null, b: null, t: null, dt: null, bin: null, nested: null });
    expect(one(`{"s":null,"i":null,"nested":null,"extra":[1,{"a":[true,null]}],"b":false}`, all))
      .toEqual({ s: null, i: null, l: null, d: null, b: false, t: null, dt: null, bin: null, nested: null });
    expect(one(`{"nested":{"y":null,"q":1}}`, all)!.nested).toEqual({ x: null, y: null });
  });

  it('a null input value is a null struct, not malformed; the JSON literal null is malformed', () => {
    const r = decode([null, 'null', ' null ', '{"i":1}'], struct({ i: int }));
    expect(r.rows).toEqual([null, null, null, { i: 1 }]);
    expect(r.malformed).toEqual([1, 2]);
    expect(r.res.column.nullCount).toBe(3);
  });

  it('integers: ranges, exactness, non-integers', () => {
    const s = struct({ i: int, l: long });
    expect(one(`{"i":2147483647,"l":9223372036854775807}`, s)).toEqual({ i: 2147483647, l: 9223372036854775807n });
    expect(one(`{"i":-2147483648,"l":-9223372036854775808}`, s)).toEqual({ i: -2147483648, l: -9223372036854775808n });
    expect(one(`{"i":2147483648,"l":9223372036854775808}`, s)).toEqual({ i: null, l: null });
    expect(one(`{"i":-2147483649,"l":-9223372036854775809}`, s)).toEqual({ i: null, l: null });
    expect(one(`{"i":12345678901234567890,"l":123456789012345678901234}`, s)).toEqual({ i: null, l: null });
    expect(one(`{"i":1.0,"l":1e3}`, s)).toEqual({ i: null, l: null });
    expect(one(`{"i":-0,"l":-0}`, s)).toEqual({ i: 0, l: 0n });
    expect(one(`{"i":0,"l":-9007199254740993}`, s)).toEqual({ i: 0, l: -9007199254740993n });
    expect(one(`{"l":4294967296}`, s)).toEqual({ i: null, l: 4294967296n });
    expect(one(`{"l":-4294967297}`, s)).toEqual({ i: null, l: -4294967297n });
    expect(one(`{"l":999999999999999}`, s)).toEqual({ i: null, l: 999999999999999n });
    expect(one(`{"l":-1234567890123456}`, s)).toEqual({ i: null, l: -1234567890123456n });
    expect(one(`{"i":"1","l":"2"}`, s)).toEqual({ i: null, l: null });
  });

  it('doubles: all number forms, special strings', () => {
    const s = struct({ d: double });
    const cases: [string, number][] = [
      ['0', 0], ['-0', -0], ['1', 1], ['-1.5', -1.5], ['0.1', 0.1], ['3.14159', 3.14159], ['1e10', 1e10], ['1E+2', 100],
      ['2.5e-3', 0.0025], ['123456789012345678901234567890', 123456789012345678901234567890], ['1.7976931348623157e308', 1.7976931348623157e308],
      ['1e400', Infinity], ['5e-324', 5e-324], ['0.30000000000000004', 0.30000000000000004], ['9007199254740993', 9007199254740992],
      ['0.000001234', 0.000001234], ['1234567.891', 1234567.891], ['"NaN"', NaN], ['"Infinity"', Infinity], ['"-Infinity"', -Infinity],
      ['"+INF"', Infinity], ['"-INF"', -Infinity],
    ];
    for (const [text, v] of cases) expect(one(`{"d":${text}}`, s)!.d, text).toBe(v);
    expect(one(`{"d":"1.5"}`, s)!.d).toBeNull();
    expect(one(`{"d":true}`, s)!.d).toBeNull();
  });

  it('strings: escapes, unicode, surrogate pairs', () => {
    const s = struct({ s: string });
    expect(one(String.raw`{"s":"a\"b\\c\/d\be\ff\ng\rh\ti"}`, s)!.s).toBe('a"b\\c/d\be\ff\ng\rh\ti');
    expect(one(String.raw`{"s":"\u00e9\u4e2d\ud83d\ude00x"}`, s)!.s).toBe('é中😀x');
    expect(one(`{"s":"raw é 中 😀"}`, s)!.s).toBe('raw é 中 😀');
    expect(one(String.raw`{"s":"\u0000\u001F"}`, s)!.s).toBe('\u0000\u001f');
    expect(one(String.raw`{"s":"lone \ud800 high, lone \udc00 low, \ud800\u0041"}`, s)!.s).toBe('lone \ufffd high, lone \ufffd low, \ufffdA');
    expect(one(String.raw`{"s":"\uD83D\uDE00"}`, s)!.s).toBe('😀');
    expect(one(`{"s":""}`, s)!.s).toBe('');
  });

  it('non-string values for a string field keep their raw JSON text', () => {
    const s = struct({ s: string });
    expect(one(`{"s":12.50}`, s)!.s).toBe('12.50');
    expect(one(`{"s":-1e5}`, s)!.s).toBe('-1e5');
    expect(one(`{"s":true}`, s)!.s).toBe('true');
    expect(one(`{"s":false}`, s)!.s).toBe('false');
    expect(one(`{"s": {"a": [1, "x"]} }`, s)!.s).toBe('{"a": [1, "x"]}');
    expect(one(`{"s":[]}`, s)!.s).toBe('[]');
    expect(one(`{"s":null}`, s)!.s).toBeNull();
  });

  it('booleans', () => {
    const s = struct({ b: boolean });
    expect(decode(['{"b":true}', '{"b":false}', '{"b":1}', '{"b":"true"}', '{}'], s).rows.map((r) => (r as { b: unknown }).b))
      .toEqual([true, false, null, null, null]);
  });

  it('timestamps: ISO-8601 with offsets, space separator, fractions, epoch seconds', () => {
    const s = struct({ t: timestamp });
    const cases: [string, bigint | null][] = [
      ['"2024-01-01T10:00:00Z"', ms('2024-01-01T10:00:00Z')],
      ['"2024-01-01T10:00:00.123+02:00"', ms('2024-01-01T08:00:00.123Z')],
      ['"2024-01-01T10:00:00.5-0130"', ms('2024-01-01T11:30:00.500Z')],
      ['"2024-01-01T01:00:00+05"', ms('2023-12-31T20:00:00Z')],
      ['"2024-01-01 10:00:00"', ms('2024-01-01T10:00:00Z')],
      ['"2024-01-01T10:00"', ms('2024-01-01T10:00:00Z')],
      ['"2024-01-01"', ms('2024-01-01T00:00:00Z')],
      ['"2024-01-01T10:00:00.123456789Z"', ms('2024-01-01T10:00:00.123Z')],
      ['"2024-01-01T10:00:00.12Z"', ms('2024-01-01T10:00:00.120Z')],
      ['"1969-12-31T23:59:59.999Z"', -1n],
      ['"0001-01-01T00:00:00Z"', -62135596800000n],
      ['"2024-02-30T00:00:00Z"', null], ['"2024-13-01T00:00:00Z"', null], ['"2024-01-01T24:00:00Z"', null],
      ['"2024-01-01T10:00:60Z"', null], ['"2024-01-01T10:00:00."', null], ['"2024-01-01T10:00:00Zx"', null],
      ['"2024-01-01X10:00:00"', null], ['"24-01-01"', null], ['"yesterday"', null], ['""', null],
      ['1704103200', ms('2024-01-01T10:00:00Z')], ['1704103200.123', ms('2024-01-01T10:00:00.123Z')],
      ['1704103200.1239', ms('2024-01-01T10:00:00.123Z')], ['-1.5', -1500n], ['0', 0n], ['1.7041032e9', ms('2024-01-01T10:00:00Z')],
      ['true', null], ['{}', null],
    ];
    for (const [text, v] of cases) expect(one(`{"t":${text}}`, s)!.t, text).toBe(v);
    // escaped characters inside a timestamp string are decoded first
    expect(one(String.raw`{"t":"2024-01-01\u005410:00:00Z"}`, s)!.t).toBe(ms('2024-01-01T10:00:00Z'));
  });

  it('dates', () => {
    const s = struct({ d: date });
    expect(one('{"d":"1970-01-01"}', s)!.d).toBe(0);
    expect(one('{"d":"1969-12-31"}', s)!.d).toBe(-1);
    expect(one('{"d":"2000-02-29"}', s)!.d).toBe(days('2000-02-29'));
    expect(one('{"d":"1900-02-29"}', s)!.d).toBeNull();
    expect(one('{"d":"2024-1-1"}', s)!.d).toBeNull();
    expect(one('{"d":20240101}', s)!.d).toBeNull();
  });

  it('binary from base64', () => {
    const s = struct({ b: binary });
    expect(one('{"b":""}', s)!.b).toEqual([]);
    expect(one('{"b":"AAEC/w=="}', s)!.b).toEqual([0, 1, 2, 255]);
    expect(one('{"b":"AAEC/w"}', s)!.b).toEqual([0, 1, 2, 255]);
    expect(one(String.raw`{"b":"AAEC\/w=="}`, s)!.b).toEqual([0, 1, 2, 255]);
    expect(one('{"b":"aGk="}', s)!.b).toEqual([104, 105]);
    expect(one('{"b":"not base64!"}', s)!.b).toBeNull();
    expect(one('{"b":"AAE"}', s)!.b).toEqual([0, 1]);
    expect(one('{"b":"A"}', s)!.b).toBeNull();
    expect(one('{"b":"AA="}', s)!.b).toBeNull();
    expect(one('{"b":12}', s)!.b).toBeNull();
  });

  it('wrong types are null for that field only', () => {
    const s = struct({ a: int, b: string, c: struct({ x: int }), d: boolean });
    expect(one(`{"a":"x","b":"ok","c":[1,2],"d":"true"}`, s)).toEqual({ a: null, b: 'ok', c: null, d: null });
    expect(one(`{"a":{"x":1},"b":[{"x":1}],"c":5,"d":{}}`, s)).toEqual({ a: null, b: '[{"x":1}]', c: null, d: null });
    expect(one(`{"c":{"x":"1"}}`, s)).toEqual({ a: null, b: null, c: { x: null }, d: null });
  });

  it('duplicate keys: last wins, including for nested structs and nulls', () => {
    const s = struct({ a: int, b: string, c: struct({ x: int, y: string }) });
    expect(one(`{"a":1,"b":"first","a":2,"b":"second"}`, s)).toEqual({ a: 2, b: 'second', c: null });
    expect(one(`{"a":1,"a":null,"b":"x","b":null}`, s)).toEqual({ a: null, b: null, c: null });
    expect(one(`{"c":{"x":1,"y":"a"},"c":{"y":"b"}}`, s)).toEqual({ a: null, b: null, c: { x: null, y: 'b' } });
    expect(one(`{"c":{"x":1},"c":null}`, s)).toEqual({ a: null, b: null, c: null });
    expect(one(`{"c":{"x":1},"c":7}`, s)).toEqual({ a: null, b: null, c: null });
    // following rows are unaffected by the rewinds
    const r = decode([`{"b":"aaaa","b":"bb"}`, `{"b":"cc"}`, `{}`, `{"b":"d","b":5}`], s);
    expect(r.rows.map((x) => (x as { b: unknown }).b)).toEqual(['bb', 'cc', null, '5']);
  });

  it('whitespace everywhere', () => {
    const s = struct({ a: int, b: string, c: struct({ x: double }) });
    expect(one(' \t\r\n{ \n"a" \t:\r 1 ,\n "b"\n:\n"x" , "c" : { "x" : 1.5 } , "z" : [ 1 , { } ] \n} \r\n\t', s))
      .toEqual({ a: 1, b: 'x', c: { x: 1.5 } });
    expect(one('{ }', s)).toEqual({ a: null, b: null, c: null });
  });

  it('keys: matched by exact bytes, case-sensitive, unicode and escaped keys', () => {
    const s = struct({ Name: string, 'naïve': int, 'q"uote': int, '': int, 'a\\b': int });
    expect(one(`{"name":"lower","Name":"Upper"}`, s)!.Name).toBe('Upper');
    expect(one(`{"naïve":1}`, s)!['naïve']).toBe(1);
    expect(one(String.raw`{"na\u00efve":2}`, s)!['naïve']).toBe(2);
    expect(one(String.raw`{"q\"uote":3}`, s)!['q"uote']).toBe(3);
    expect(one(String.raw`{"\u004eame":"esc"}`, s)!.Name).toBe('esc');
    expect(one(`{"":4}`, s)!['']).toBe(4);
    expect(one(String.raw`{"a\\b":5}`, s)!['a\\b']).toBe(5);
    // a key order change between records does not confuse the key prediction
    const r = decode([`{"Name":"a","naïve":1}`, `{"naïve":2,"Name":"b"}`, `{"Nam":"x","Namex":"y","naïve":3}`], s);
    expect(r.rows.map((x) => [(x as Record<string, unknown>).Name, (x as Record<string, unknown>)['naïve']]))
      .toEqual([['a', 1], ['b', 2], [null, 3]]);
  });

  it('a pruned schema: unread keys predicted by position, and a stop byte at every offset of a string', () => {
    // Unread keys are matched against the previous record's key at the same position (decode.ts
    // SKIP_KEY); strings are scanned four bytes at a time (scanner.ts findStop). Each record is
    // checked against JSON.parse: its read fields, and whether it is malformed.
    const s = struct({ ad_id: string, t: string });
    const texts = [
      '{"user":"u1","ad_id":"A","t":"x"}', '{"usex":"u1","ad_id":"B","t":"x"}', '{"ad_id":"C","user":"u","t":"y"}',
      '{"use":"u","t":"z","ad_id":"D"}', '{"user":"u","t":"z","ad_id":"D"}', '{"users":"u","t":"w"}', String.raw`{"us\u0065r":1,"ad_id":"E"}`,
      '{"user":"u","t":"1","t":"2"}', '{"ad_id":"F","ad_idx":"G","t_":"H","t":"I"}', '{"ad_id":"F","ad_id_":"G","t":"J"}', '{"ad_ix":"Z","t":"q"}', '{"ad_id":"Y","t":"q"}',
    ];
    for (let k = 0; k < 13; k++) {
      for (const x of ['\\"', '\\\\', '\\n', '\\u00e9', '\u0001', '\u001f', '\t', 'é€😀', '"', '~\u007f']) {
        const v = `${'a'.repeat(k)}${x}${'b'.repeat(13 - k)}`;
        texts.push(`{"user":"${v}","ad_id":"${v}","t":"k${k}"}`, `{"ad_id":"${v}","user":"${v}"}`);
      }
    }
    const r = decode(texts, s);
    const want = texts.map((t) => { try { const o = JSON.parse(t) as Record<string, unknown>; return { ad_id: o.ad_id ?? null, t: o.t ?? null }; } catch { return null; } });
    expect(r.rows).toEqual(want);
    expect(r.malformed).toEqual(want.flatMap((w, i) => (w === null ? [i] : [])));
    expect(r.malformed.length).toBeGreaterThan(50); // raw control characters and bare quotes
    expect(r.malformed.length).toBeLessThan(texts.length / 2);
  });
});

describe('decodeJson: predicted keys compared as words', () => {
  it('keys of 0 to 17 bytes that differ in one byte at each position, read and pruned, in varying orders and at record ends', () => {
    // A key up to 12 bytes long is compared with the previous record's key at the same position as
    // three masked words (decode.ts learnKey), a longer one byte range against byte range: each
    // record here follows one whose key at that position differs in exactly one byte, or not at all.
    const names = Array.from({ length: 18 }, (_, n) => 'k'.repeat(n));
    const variants = (k: string): string[] => [k, ...Array.from(k, (_, i) => `${k.slice(0, i)}x${k.slice(i + 1)}`), `${k}x`, `${k}é`, k.slice(1)];
    const schema = struct({ [names[0]!]: string, [names[3]!]: string, [names[4]!]: int, [names[12]!]: string, [names[13]!]: string, [names[17]!]: string });
    const texts: string[] = [];
    for (const n of names) {
      for (const v of variants(n!)) {
        texts.push(`{"a":"1","${n}":"v${n!.length}","z":2}`, `{"a":"1","${v}":"w${v.length}","z":2}`, `{"${v}":3}`, `{"${n}":4}`, `{"${v}":"p","a":"1"}`);
      }
    }
    const r = decode(texts, schema);
    const want = texts.map((t) => {
      const o = JSON.parse(t) as Record<string, unknown>;
      return Object.fromEntries(schema.fields.map((f) => [f.name, f.type === int ? (typeof o[f.name] === 'number' ? o[f.name] : null) : (o[f.name] === undefined ? null : String(o[f.name]))]));
    });
    expect(r.malformed).toEqual([]);
    expect(r.rows).toEqual(want);
    expect(r.rows.filter((x) => x != null && Object.values(x as object).some((v) => v !== null)).length).toBeGreaterThan(100);
  });
});

describe('decodeJson: malformed records', () => {
  const s = struct({ a: int, b: string });
  const bad = [
    '', ' ', '{', '{"a":1', '{"a":1,', '{"a":', '{"a"', '{"a', '{"a":"x', '[1]', '"x"', '42', 'true', '{"a":1}x', '{"a":1}}',
    '{"a":1} {"a":2}', '{a:1}', "{'a':1}", '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":-}', '{"a":+1}', '{"a":1e}', '{"a":NaN}',
    '{"a":tru}', '{"a":nul}', '{"a":True}', '{"a":1,}', '{,"a":1}', '{"a" 1}', '{"a":1 "b":"x"}', String.raw`{"b":"\x"}`,
    String.raw`{"b":"\u12"}`, String.raw`{"b":"\u12G4"}`, String.raw`{"b":"\ud800\uZZZZ"}`, '{"b":"a\nb"}', '{"b":"tab\there"}',
    '{"z":[1,2}', '{"z":[1,,2]}', '{"z":{"x":}}', '{"z":{"x" 1}}', '{"z":[}', '{"a":1,"z":"unterminated}', String.raw`{"\q":1}`,
    '{"a":1}\u0000', 'null', 'nullx', '{"b":"ok"}]', '\t\n', '"{\\"a\\":1}"',
  ];

  it('flags each malformed record and nulls its struct', () => {
    const texts = bad.flatMap((t) => ['{"a":1,"b":"good"}', t]);
    const r = decode(texts, s);
    expect(r.malformed).toEqual(bad.map((_, k) => 2 * k + 1));
    bad.forEach((t, k) => {
      expect(r.rows[2 * k + 1], JSON.stringify(t)).toBeNull();
      expect(r.rows[2 * k]).toEqual({ a: 1, b: 'good' });
    });
    // corrupt record column: raw text of malformed rows only
    const corrupt = r.res.corrupt!;
    texts.forEach((t, i) => expect(readValue(corrupt, string, i)).toBe(i % 2 === 1 ? t : null));
  });

  it('partial writes of a malformed record are undone', () => {
    const n = struct({ a: int, b: string, c: struct({ d: string, e: long }) });
    const r = decode(['{"a":1,"b":"xxxxxxxx","c":{"d":"yyyy","e":5},"oops"', '{"b":"next"}', '{"c":{"d":"zz"}} trailing'], n);
    expect(r.malformed).toEqual([0, 2]);
    expect(r.rows).toEqual([null, { a: null, b: 'next', c: null }, null]);
    const bCol = r.res.column.children[1]!;
    expect(Array.from(bCol.valueOffsets as Int32Array).slice(0, 4)).toEqual([0, 0, 4, 4]);
  });

  it('nesting deeper than 1000 is malformed, 999 is fine', () => {
    const deep = (d: number) => `{"z":${'['.repeat(d)}${']'.repeat(d)},"a":1}`;
    const r = decode([deep(998), deep(1001)], s);
    expect(r.malformed).toEqual([1]);
    expect(r.rows[0]).toEqual({ a: 1, b: null });
  });
});

describe('decodeJson: layout', () => {
  it('accepts Binary input and input with an offset; empty input', () => {
    const s = struct({ a: int });
    const bin = decodeJson(utf8Column(['{"a":1}', 'x', '{"a":3}'], 'binary'), s);
    expect(Array.from(bin.malformed)).toEqual([1]);
    expect(readValue(bin.column, s, 2)).toEqual({ a: 3 });
    const sliced = utf8Column(['{"a":1}', 'x', '{"a":3}', null]).slice(1, 3);
    const r = decodeJson(sliced, s);
    expect(r.column.length).toBe(3);
    expect([0, 1, 2].map((i) => readValue(r.column, s, i))).toEqual([null, { a: 3 }, null]);
    expect(Array.from(r.malformed)).toEqual([0]);
    const e = decodeJson(utf8Column([]), s);
    expect(e.column.length).toBe(0);
    expect(e.malformed.length).toBe(0);
  });

  it('builds valid Arrow data: types, null counts, IPC round trip', () => {
    const s = struct({ s: string, l: long, t: timestamp, b: boolean, n: struct({ x: double }) });
    const texts = ['{"s":"a","l":1,"t":0,"b":true,"n":{"x":1.5}}', '{"b":false}', 'bad', null];
    const { column } = decodeJson(utf8Column(texts), s);
    expect(String(column.type)).toBe(String(new A.Struct([
      new A.Field('s', new A.Utf8(), true), new A.Field('l', new A.Int64(), true), new A.Field('t', new A.TimestampMillisecond('UTC'), true),
      new A.Field('b', new A.Bool(), true), new A.Field('n', new A.Struct([new A.Field('x', new A.Float64(), true)]), true),
    ])));
    expect(column.nullCount).toBe(2);
    expect(column.children.map((c) => c.nullCount)).toEqual([3, 3, 3, 2, 3]);
    const table = new A.Table(new A.RecordBatch({ j: column }));
    const back = A.tableFromIPC(A.tableToIPC(table));
    const rows = back.getChild('j')!.toArray().map((r: { toJSON(): unknown } | null) => r?.toJSON() ?? null);
    expect(rows[0]).toMatchObject({ s: 'a', l: 1n, b: true });
    expect(rows[1]).toMatchObject({ s: null, b: false });
    expect(rows.slice(2)).toEqual([null, null]);
  });

  it('grows string buffers past the initial estimate', () => {
    const fields = Object.fromEntries(Array.from({ length: 12 }, (_, k) => [`f${k}`, string]));
    const s = struct(fields);
    const texts = Array.from({ length: 300 }, (_, i) => `{"f${i % 12}":"${'x'.repeat(i * 7)}\\n","g":"${'y'.repeat(50)}"}`);
    const r = decode(texts, s);
    r.rows.forEach((row, i) => expect((row as Record<string, unknown>)[`f${i % 12}`]).toBe('x'.repeat(i * 7) + '\n'));
  });
});

// ---- differential test against a JSON.parse-based reference -------------------------------------------

/** mulberry32 */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MARK = '\u0000#num:';
/** Replaces every number token of (valid) JSON text by a marked string holding its exact source text. */
function tagNumbers(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (m) => (m[0] === '"' ? m : JSON.stringify(MARK + m)));
}
const isNum = (x: unknown): x is string => typeof x === 'string' && x.startsWith(MARK);
const numText = (x: string) => x.slice(MARK.length);
const wellFormed = (s: string) => dec.decode(enc.encode(s));
const I64_MIN = -(2n ** 63n), I64_MAX = 2n ** 63n - 1n;

function refTimestamp(s: string): bigint | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:Z|([+-])(\d{2})(?::?(\d{2}))?)?)?$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, sec = 0] = m.slice(1, 7).map((x) => (x === undefined ? undefined : Number(x))) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || h > 23 || mi > 59 || sec > 59) return null;
  const dt = new Date(0);
  dt.setUTCFullYear(y!, mo! - 1, d!);
  if (dt.getUTCDate() !== d) return null;
  const frac = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  let off = 0;
  if (m[8]) {
    const oh = Number(m[9]), om = m[10] === undefined ? 0 : Number(m[10]);
    if (oh > 18 || om > 59) return null;
    off = (oh * 60 + om) * (m[8] === '-' ? -1 : 1);
  }
  return BigInt(dt.getTime() + ((h * 60 + mi - off) * 60 + sec) * 1000 + frac);
}

function refSeconds(raw: string): bigint | null {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(raw);
  let v: bigint;
  if (m) {
    v = BigInt(m[2]!) * 1000n + BigInt((m[3] ?? '').padEnd(3, '0').slice(0, 3));
    if (m[1]) v = -v;
  } else {
    const x = Math.trunc(Math.round(Number(raw) * 1e6) / 1000);
    if (!Number.isSafeInteger(x)) return null;
    v = BigInt(x);
  }
  return v < I64_MIN || v > I64_MAX ? null : v;
}

function refBase64(s: string): number[] | null {
  let t = s;
  if (t.endsWith('=')) {
    if (t.length % 4 !== 0) return null;
    t = t.slice(0, -1);
    if (t.endsWith('=')) t = t.slice(0, -1);
  }
  if (!/^[A-Za-z0-9+/]*$/.test(t) || t.length % 4 === 1) return null;
  return Array.from(Buffer.from(t, 'base64'));
}

/** Canonical JSON of a tagged value (numbers by their source text). */
const canon = (x: unknown) => JSON.stringify(x);

function refValue(x: unknown, t: DataType): unknown {
  if (x === null || x === undefined) return null;
  switch (t.kind) {
    case 'string':
      if (isNum(x)) return numText(x);
      if (typeof x === 'string') return wellFormed(x);
      if (typeof x === 'boolean') return String(x);
      return { rawJson: canon(x) };
    case 'int': case 'long': {
      if (!isNum(x) || !/^-?\d+$/.test(numText(x))) return null;
      const v = BigInt(numText(x));
      if (t.kind === 'int') return v >= -(2n ** 31n) && v < 2n ** 31n ? Number(v) : null;
      return v >= I64_MIN && v <= I64_MAX ? v : null;
    }
    case 'double':
      if (isNum(x)) return Number(numText(x));
      if (typeof x === 'string') {
        if (x === 'NaN') return NaN;
        if (['Infinity', '+Infinity', '+INF', 'INF'].includes(x)) return Infinity;
        if (['-Infinity', '-INF'].includes(x)) return -Infinity;
      }
      return null;
    case 'boolean': return typeof x === 'boolean' ? x : null;
    case 'timestamp':
      if (isNum(x)) return refSeconds(numText(x));
      return typeof x === 'string' ? refTimestamp(x) : null;
    case 'date': {
      if (typeof x !== 'string' || isNum(x) || !/^\d{4}-\d{2}-\d{2}$/.test(x)) return null;
      const ts = refTimestamp(x);
      return ts === null ? null : Number(ts / 86_400_000n);
    }
    case 'binary': return typeof x === 'string' && !isNum(x) ? refBase64(x) : null;
    case 'struct':
      if (typeof x !== 'object' || Array.isArray(x)) return null;
      return refStruct(x as Record<string, unknown>, t);
    default: return null;
  }
}

function refStruct(o: Record<string, unknown>, t: StructType): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const f of t.fields) r[f.name] = refValue(Object.prototype.hasOwnProperty.call(o, f.name) ? o[f.name] : undefined, f.type);
  return r;
}

/** The reference: JSON.parse decides validity; numbers are re-read from their source text. */
function reference(text: string, schema: StructType): { malformed: boolean; row: Record<string, unknown> | null } {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return { malformed: true, row: null }; }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { malformed: true, row: null };
  return { malformed: false, row: refStruct(JSON.parse(tagNumbers(text)), schema) };
}

/** Our value where the reference holds { rawJson }: compare parsed-and-tagged forms. */
function normalise(ours: unknown, ref: unknown, t: DataType): unknown {
  if (ref && typeof ref === 'object' && 'rawJson' in ref && typeof ours === 'string') {
    try { return { rawJson: canon(JSON.parse(tagNumbers(ours))) }; } catch { return { unparsable: ours }; }
  }
  if (t.kind === 'struct' && ours && ref && typeof ours === 'object') {
    const r: Record<string, unknown> = {};
    for (const f of t.fields) r[f.name] = normalise((ours as Record<string, unknown>)[f.name], (ref as Record<string, unknown>)[f.name], f.type);
    return r;
  }
  return ours;
}

// random JSON generation -----------------------------------------------------------------------------------

class Raw { constructor(readonly text: string) {} }
class Obj { constructor(readonly entries: [string, unknown][]) {} }

function generator(rnd: () => number) {
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const ws = () => (rnd() < 0.85 ? '' : pick([' ', '  ', '\n', '\t', '\r\n ', ' \t']));
  const chars = ['a', 'b', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0001', '\u001f', 'é', 'ß', '中', '😀', '\ud800', '\udfff', '\u2028', '\u00ff', '\u0000'];
  const randStr = (n = int(12)) => Array.from({ length: n }, () => (rnd() < 0.6 ? String.fromCharCode(97 + int(26)) : pick(chars))).join('');

  function strLit(s: string): string {
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const ch = s[i]!;
      const hi = c >= 0xd800 && c <= 0xdbff, lo = c >= 0xdc00 && c <= 0xdfff;
      const paired = hi && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
      if (ch === '"' || ch === '\\') out += '\\' + ch;
      else if (c < 0x20) out += rnd() < 0.5 && '\n\t\r\b\f'.includes(ch) ? JSON.stringify(ch).slice(1, -1) : '\\u' + c.toString(16).padStart(4, '0');
      else if ((hi && !paired) || lo) out += '\\u' + c.toString(16).padStart(4, '0').toUpperCase();
      else if (paired) {
        if (rnd() < 0.5) out += ch + s[i + 1];
        else out += '\\u' + c.toString(16) + '\\u' + s.charCodeAt(i + 1).toString(16).toUpperCase();
        i++;
      } else if (ch === '/' && rnd() < 0.5) out += '\\/';
      else if (rnd() < 0.05) out += '\\u' + c.toString(16).padStart(4, '0');
      else out += ch;
    }
    return out + '"';
  }

  function ser(v: unknown): string {
    if (v instanceof Raw) return v.text;
    if (v === null) return 'null';
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'string') return strLit(v);
    if (Array.isArray(v)) return `[${ws()}${v.map((x) => ser(x) + ws()).join(`,${ws()}`)}]`;
    const entries = (v as Obj).entries;
    return `{${ws()}${entries.map(([k, x]) => `${strLit(k)}${ws()}:${ws()}${ser(x)}${ws()}`).join(`,${ws()}`)}}`;
  }

  const numberText = (): string => pick([
    () => String(int(100)), () => String(-int(1e6)), () => String(int(2 ** 31) * (rnd() < 0.5 ? -1 : 1)),
    () => pick(['2147483647', '-2147483648', '2147483648', '-2147483649', '9007199254740993', '-9007199254740993',
      '9223372036854775807', '-9223372036854775808', '9223372036854775808', '-9223372036854775809', '18446744073709551616', '0', '-0']),
    () => (rnd() * 1000).toFixed(int(6)), () => String(rnd() * 10 ** (int(40) - 20)), () => `${int(100)}e${int(30) - 15}`,
    () => `${int(10)}.${int(1000)}E+${int(400)}`, () => String(rnd()), () => `-0.${'0'.repeat(int(8))}${int(1e6)}`,
    () => String(int(2 ** 53) * 2 ** int(11)), () => `${1e9 + int(1e9)}.${int(1e6)}`, () => `${int(10)}.${'9'.repeat(int(25))}`,
  ])();

  const tsText = (): string => {
    const d = new Date(Date.UTC(1900 + int(250), int(12), 1 + int(28), int(24), int(60), int(60), int(1000))).toISOString();
    return pick([
      () => d, () => d.replace('T', ' ').replace('Z', ''), () => d.slice(0, 10), () => d.slice(0, 16), () => d.slice(0, 19) + pick(['+02:00', '-0530', '+01', 'Z', '']),
      () => d.slice(0, 20) + String(int(1e9)) + 'Z', () => pick(['2024-02-30T00:00:00Z', '2024-1-1', 'nope', '', '2024-01-01T25:00:00Z', '2023-02-29']),
    ])();
  };

  function valueFor(t: DataType, depth: number): unknown {
    const r = rnd();
    if (r < 0.06) return null;
    if (r < 0.16) return anyValue(depth + 1); // probably the wrong type
    switch (t.kind) {
      case 'string': return rnd() < 0.9 ? randStr() : new Raw(numberText());
      case 'int': case 'long': case 'double': return rnd() < 0.9 ? new Raw(numberText()) : pick(['NaN', 'Infinity', '-INF', '1']);
      case 'boolean': return rnd() < 0.5;
      case 'timestamp': return rnd() < 0.75 ? tsText() : new Raw(pick([String(int(2e9)), `${int(2e9)}.${int(1e5)}`, `-${int(1e5)}.5`, '1.5e9', '99999999999999999']));
      case 'date': return rnd() < 0.8 ? tsText().slice(0, 10) : tsText();
      case 'binary': {
        const b64 = Buffer.from(Array.from({ length: int(20) }, () => int(256))).toString('base64');
        return pick([b64, b64.replace(/=+$/, ''), b64 + '=', '@@@@', b64.replace(/\//g, '_')]);
      }
      case 'struct': return objectFor(t, depth + 1);
      default: return null;
    }
  }

  function anyValue(depth: number): unknown {
    const r = rnd();
    if (depth > 3 || r < 0.5) return pick([() => null, () => rnd() < 0.5, () => new Raw(numberText()), () => randStr()])();
    if (r < 0.75) return Array.from({ length: int(4) }, () => anyValue(depth + 1));
    return new Obj(Array.from({ length: int(4) }, () => [randStr(4), anyValue(depth + 1)] as [string, unknown]));
  }

  function objectFor(t: StructType, depth: number): Obj {
    const entries: [string, unknown][] = [];
    for (const f of t.fields) if (rnd() < 0.85) entries.push([f.name, valueFor(f.type, depth)]);
    for (let k = int(3); k > 0; k--) entries.push([pick([randStr(5), 'order_id', 'Aa', 'nested2']), anyValue(depth)]);
    if (rnd() < 0.1 && t.fields.length) { const f = pick(t.fields); entries.push([f.name, valueFor(f.type, depth)]); }
    if (rnd() < 0.5) entries.sort(() => rnd() - 0.5);
    return new Obj(entries);
  }

  function mutate(s: string): string {
    const pos = () => int(s.length + 1);
    const junk = () => pick(['{', '}', '[', ']', '"', ',', ':', '0', '1', '-', '.', 'e', 'a', '\\', ' ', 'n', 't', 'x', '\u0001']);
    switch (int(12)) {
      case 0: { const p = pos(); return s.slice(0, p) + s.slice(p + 1); }
      case 1: { const p = pos(); return s.slice(0, p) + junk() + s.slice(p); }
      case 2: { const p = pos(); return s.slice(0, p) + junk() + s.slice(p + 1); }
      case 3: return s.slice(0, pos());
      case 4: return s + pick(['x', '}', ' ', '\n', ',', ' {}', '0']);
      case 5: return pick(['[', ' ', 'x', '"']) + s;
      case 6: return `[${s}]`;
      case 7: return pick(['', ' ', 'null', '"x"', '42', '[1]', 'true', '{}', '{"a":1}x', '"\\u12"', '{"a":"\\q"}']);
      default: { const p = pos(); return s.slice(0, p) + junk() + junk() + s.slice(p); }
    }
  }

  return { record: (t: StructType) => ws() + ser(objectFor(t, 0)) + ws(), mutate, rnd };
}

describe('decodeJson: differential test against JSON.parse', () => {
  const schema = struct({
    order_id: string, user: string, n: int, big: long, amount: double, ok: boolean, at: timestamp, day: date, blob: binary,
    'naïve': string, 'q"k': int,
    nested: struct({ x: long, y: string, deeper: struct({ w: boolean, d: double }) }),
  });

  for (const seed of [1, 2, 3, 4]) {
    it(`matches the reference on 2500 random records (seed ${seed})`, () => {
      const g = generator(prng(seed));
      const texts: string[] = [];
      for (let i = 0; i < 2500; i++) {
        let t = g.record(schema);
        if (g.rnd() < 0.25) t = g.mutate(t);
        if (g.rnd() < 0.05) t = g.mutate(t);
        texts.push(t);
      }
      // what the decoder sees are the UTF-8 bytes; the reference parses those bytes decoded
      const r = decode(texts, schema);
      const refMalformed: number[] = [];
      let valid = 0;
      texts.forEach((t, i) => {
        const ref = reference(dec.decode(enc.encode(t)), schema);
        if (ref.malformed) refMalformed.push(i); else if (ref.row) valid++;
        const ours = normalise(r.rows[i], ref.row, schema);
        expect(ours, `record ${i}: ${t}`).toEqual(ref.row);
      });
      expect(r.malformed).toEqual(refMalformed);
      // the mix must exercise both sides
      expect(refMalformed.length).toBeGreaterThan(200);
      expect(valid).toBeGreaterThan(1500);
    });
  }
});
