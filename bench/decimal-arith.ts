/**
 * Exact decimal arithmetic over columns (issue 13) against the same arithmetic on doubles, in one run:
 * a + b and a * b over N rows of decimal(10,2) (bigints over Decimal128's two 64-bit words, Spark's
 * result types and overflow checks) and over the same values as doubles, plus sum(a) folded row by
 * row as the aggregation buffer does it.
 *
 *   npx tsx bench/decimal-arith.ts [--rows 1000000] [--rounds 3]
 *
 * Prints one JSON line: the best of `rounds` for each, in ms, and the decimal/double ratios.
 */
import { parseArgs } from 'node:util';
import { types as T } from '../src/index.ts';
import { cellWriter, cellReader } from '../src/data/cells.ts';
import { arith } from '../src/exec/kernels/arith.ts';
import { decimalArith, decimalResultType } from '../src/exec/kernels/decimal-arith.ts';
import { mulberry32, randInt } from '../test/support/prng.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } } });
const N = Number(args.rows), rounds = Number(args.rounds);
const rng = mulberry32(42);
const dt = T.decimal(10, 2);
const da = cellWriter(dt, N), db = cellWriter(dt, N), fa = cellWriter(T.double, N), fb = cellWriter(T.double, N);
for (let i = 0; i < N; i++) {
  const x = BigInt(randInt(rng, -99_999_999, 99_999_999)) * 10n + BigInt(randInt(rng, 0, 9)), y = BigInt(randInt(rng, 1, 9_999_999));
  da.push(x); db.push(y); fa.push(Number(x) / 100); fb.push(Number(y) / 100);
}
const [a, b, x, y] = [da.finish(), db.finish(), fa.finish(), fb.finish()];

function best(f: () => unknown): number {
  let ms = Infinity;
  for (let r = 0; r < rounds; r++) { const t = performance.now(); f(); ms = Math.min(ms, performance.now() - t); }
  return Math.round(ms * 10) / 10;
}

const addType = decimalResultType('plus', dt, dt), mulType = decimalResultType('multiply', dt, dt);
const decimalPlusMs = best(() => decimalArith('plus', dt, dt, addType, a, b, N));
const decimalMultiplyMs = best(() => decimalArith('multiply', dt, dt, mulType, a, b, N));
const doublePlusMs = best(() => arith('plus', T.double, x, y, N));
const doubleMultiplyMs = best(() => arith('multiply', T.double, x, y, N));
const decimalSumMs = best(() => { const r = cellReader(a, dt); let s = 0n; for (let i = 0; i < N; i++) s += r(i) as bigint; return s; });
const doubleSumMs = best(() => { const r = cellReader(x, T.double); let s = 0; for (let i = 0; i < N; i++) s += r(i) as number; return s; });
console.log(JSON.stringify({
  bench: 'decimal-arith', rows: N, rounds, decimalPlusMs, doublePlusMs, decimalMultiplyMs, doubleMultiplyMs, decimalSumMs, doubleSumMs,
  plusRatio: Math.round((decimalPlusMs / doublePlusMs) * 10) / 10, multiplyRatio: Math.round((decimalMultiplyMs / doubleMultiplyMs) * 10) / 10,
}));
