/**
 * from_json's two readers over N records of the same flat struct schema (the byte scanner,
 * decode.ts, is the same-run baseline), then the lenient reader (lenient-decode.ts) over the same
 * records with arrays and a map added to each, which only it reads:
 * `tags ARRAY<STRING>, attrs MAP<STRING,STRING>, user STRUCT<id: BIGINT, name: STRING>`.
 *
 *   npx tsx bench/from-json-nested.ts [--rows 200000] [--rounds 3]
 *
 * Prints one JSON line: each variant's best round in ms, records/s and time relative to the baseline.
 */
import { parseArgs } from 'node:util';
import { decodeJson } from '../src/formats/json/decode.ts';
import { decodeJsonLenient, SPARK_JSON_DEFAULTS } from '../src/formats/json/lenient-decode.ts';
import { BytesBuilder } from '../src/data/builders.ts';
import { parseDdlSchema } from '../src/data/ddl.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' } } });
const N = Number(args.rows), ROUNDS = Number(args.rounds);
const flat = parseDdlSchema('order_id STRING, amount DOUBLE, qty INT, event_time TIMESTAMP, user STRUCT<id: BIGINT, name: STRING>');
const nested = parseDdlSchema('order_id STRING, amount DOUBLE, qty INT, event_time TIMESTAMP, user STRUCT<id: BIGINT, name: STRING>, tags ARRAY<STRING>, attrs MAP<STRING,STRING>');

function column(withNested: boolean) {
  const bb = new BytesBuilder(N, N * 200);
  for (let i = 0; i < N; i++) {
    const base = `"order_id":"o-${i}","amount":${(i % 10000) / 100},"qty":${1 + (i % 5)},"event_time":"2024-01-01T10:${String(i % 60).padStart(2, '0')}:00Z","user":{"id":${i % 99991},"name":"u${i % 977}"}`;
    bb.appendString(withNested ? `{${base},"tags":["t${i % 7}","t${i % 11}"],"attrs":{"page":"/p/${i % 100}","ref":"r${i % 3}"}}` : `{${base}}`);
  }
  return bb.finish('string');
}

const plain = column(false), rich = column(true);
const variants: Record<string, () => void> = {
  baseline_scanner_flat: () => { decodeJson(plain, flat); },
  lenient_flat: () => { decodeJsonLenient(plain, null, flat, SPARK_JSON_DEFAULTS); },
  lenient_nested: () => { decodeJsonLenient(rich, null, nested, SPARK_JSON_DEFAULTS); },
};
const names = Object.keys(variants), best: Record<string, number> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const n of names.map((_, k) => names[(k + r) % names.length]!)) {
    const t0 = performance.now();
    variants[n]!();
    best[n] = Math.min(best[n] ?? Infinity, performance.now() - t0);
  }
}
const base = best.baseline_scanner_flat!;
console.log(JSON.stringify({
  bench: 'from-json-nested', rows: N, rounds: ROUNDS,
  results: Object.fromEntries(names.map((n) => [n, { ms: Math.round(best[n]!), recordsPerSec: Math.round(N / (best[n]! / 1000)), vsBaseline: +(best[n]! / base).toFixed(2) }])),
}));
