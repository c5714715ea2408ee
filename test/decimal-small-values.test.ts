// Decimal arithmetic's per-row double path (exec/kernels/decimal-arith.ts smallValueArith, cast.ts
// integerToDecimal): rows on both sides of 2^53, the longs' ends and nulls, each checked against
// the exact bigint answer worked out here.
import { expect, it } from 'vitest';
import { Session, expr, types as T } from '../src/index.ts';

const session = Session.builder().appName('decimal-small-values').getOrCreate();
const P = [0n, 1n, -1n, 123456789n, 2n ** 53n - 1n, -(2n ** 53n), 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 42n];
const fmt = (v: bigint, scale: number): string => {
  const neg = v < 0n, s = (neg ? -v : v).toString().padStart(scale + 1, '0');
  return (neg ? '-' : '') + (scale ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s);
};

it('0.908 * long, long * 1.5 + 0.25 and decimal(20,2) - 0.5 are exact on both sides of 2^53, null where they overflow', () => {
  const rows = [...P.map((p, i) => ({ i, p })), { i: P.length, p: null }];
  const out = session.createDataFrame(rows, T.struct({ i: T.long, p: T.long }))
    .select(expr('i'), expr('0.908 * p').alias('a'), expr('p * 1.5 + 0.25').alias('b'), expr('cast(p as decimal(20,2)) - 0.5').alias('m'), expr('cast(p as decimal(17,0))').alias('c'))
    .collect().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])));
  const want = [...P.map((p, i) => {
    const m = p * 100n - 50n;
    return {
      i: String(i), a: fmt(908n * p, 3), b: fmt(p * 150n + 25n, 2),
      m: (m < 0n ? -m : m) < 10n ** 20n ? fmt(m, 2) : null, // decimal(21,2) holds 19 integer digits
      c: (p < 0n ? -p : p) < 10n ** 17n ? fmt(p, 0) : null,
    };
  }), { i: String(P.length), a: null, b: null, m: null, c: null }];
  expect(out).toEqual(want);
});
