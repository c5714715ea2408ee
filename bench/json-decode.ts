/**
 * from_json kernel benchmark: 1M ~200 B order events in one Binary column, decoded with
 * decodeJson vs. a baseline of TextDecoder + JSON.parse per record into plain arrays.
 *
 *   npx tsx bench/json-decode.ts [records]
 */
import * as A from 'apache-arrow';
import { decodeJson } from '../src/formats/json/decode.ts';
import { BytesBuilder } from '../src/data/builders.ts';
import { struct, string, double, timestamp } from '../src/data/types.ts';
import { mulberry32 } from '../test/support/prng.ts';

const N = Number(process.argv[2] ?? 1_000_000);

// deterministic PRNG (mulberry32)
const rnd = mulberry32(12345); // the same events every run
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const types = ['purchase', 'view', 'add_to_cart', 'refund'] as const;

function makeInput(n: number): A.Data {
  const t0 = Date.UTC(2024, 0, 1, 10);
  const bb = new BytesBuilder(n, n * 256);
  for (let i = 0; i < n; i++) {
    bb.appendString(`{"order_id":"o-${i}","user_id":"u-${Math.floor(rnd() * 100000)}","amount":${(Math.floor(rnd() * 100000) / 100).toString()},`
        + `"event_time":"${new Date(t0 + Math.floor(rnd() * 86_400_000)).toISOString()}","type":"${pick(types)}",`
        + `"page":"/p/${Math.floor(rnd() * 10000)}","ip":"10.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}",`
        + `"qty":${1 + Math.floor(rnd() * 5)},"currency":"EUR","session":"s-${Math.floor(rnd() * 1e9).toString(36)}"}`);
  }
  return bb.finish('binary');
}

const schema = struct({ order_id: string, user_id: string, amount: double, event_time: timestamp, type: string });

function baseline(input: A.Data): number {
  const n = input.length;
  const buf = input.values as Uint8Array;
  const offs = input.valueOffsets as Int32Array;
  const dec = new TextDecoder();
  const orderId: (string | null)[] = new Array(n), userId: (string | null)[] = new Array(n), type: (string | null)[] = new Array(n);
  const amount: (number | null)[] = new Array(n), eventTime: (number | null)[] = new Array(n);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    let o: Record<string, unknown>;
    try { o = JSON.parse(dec.decode(buf.subarray(offs[i], offs[i + 1]))); } catch { bad++; continue; }
    orderId[i] = typeof o.order_id === 'string' ? o.order_id : null;
    userId[i] = typeof o.user_id === 'string' ? o.user_id : null;
    amount[i] = typeof o.amount === 'number' ? o.amount : null;
    eventTime[i] = typeof o.event_time === 'string' ? Date.parse(o.event_time) : null;
    type[i] = typeof o.type === 'string' ? o.type : null;
  }
  return bad + orderId.length + userId.length + amount.length + eventTime.length + type.length;
}

/** Just TextDecoder + JSON.parse per record, results dropped: the floor of any JSON.parse-based decoder. */
function parseOnly(input: A.Data): number {
  const n = input.length;
  const buf = input.values as Uint8Array;
  const offs = input.valueOffsets as Int32Array;
  const dec = new TextDecoder();
  let k = 0;
  for (let i = 0; i < n; i++) if (JSON.parse(dec.decode(buf.subarray(offs[i], offs[i + 1]))) !== null) k++;
  return k;
}

function time(f: () => unknown): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const input = makeInput(N);
const avgBytes = ((input.valueOffsets as Int32Array)[N]! / N);

// warm up both paths, then take the best of a few runs of each
const warm = Math.min(N, 100_000);
const warmInput = makeInput(warm);
for (let k = 0; k < 3; k++) { decodeJson(warmInput, schema); baseline(warmInput); parseOnly(warmInput); }

let decodeSeconds = Infinity, baselineSeconds = Infinity, parseOnlySeconds = Infinity;
for (let k = 0; k < 3; k++) {
  decodeSeconds = Math.min(decodeSeconds, time(() => decodeJson(input, schema)));
  baselineSeconds = Math.min(baselineSeconds, time(() => baseline(input)));
  parseOnlySeconds = Math.min(parseOnlySeconds, time(() => parseOnly(input)));
}

const check = decodeJson(input, schema);
if (check.malformed.length !== 0 || check.column.nullCount !== 0) throw new Error('bench input decoded with errors');

console.log(JSON.stringify({
  records: N,
  avgRecordBytes: Math.round(avgBytes),
  decodeSeconds: +decodeSeconds.toFixed(4),
  recordsPerSec: Math.round(N / decodeSeconds),
  usPerRecord: +(decodeSeconds * 1e6 / N).toFixed(3),
  baselineSeconds: +baselineSeconds.toFixed(4),
  baselineRecordsPerSec: Math.round(N / baselineSeconds),
  ratio: +(baselineSeconds / decodeSeconds).toFixed(2),
  parseOnlySeconds: +parseOnlySeconds.toFixed(4),
  parseOnlyRatio: +(parseOnlySeconds / decodeSeconds).toFixed(2),
}));
