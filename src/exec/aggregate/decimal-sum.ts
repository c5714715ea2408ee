import { boolean, decimal, long, type DecimalType, type StructField } from '../../data/types.ts';
import type { Cell } from '../../data/cells.ts';
import { bounded, fitsPrecision, rescale } from '../../data/decimal.ts';
import { decimalOp, decimalResultType } from '../kernels/decimal-arith.ts';
import type { Aggregator } from './aggregators.ts';

const f = (name: string, type: StructField['type']): StructField => ({ name, type, nullable: true });

/** Spark's Sum/Average buffer for decimal(p, s): decimal(p + 10, s), capped at 38. */
const bufferType = (t: DecimalType): DecimalType => { const b = bounded(t.precision + 10, t.scale); return decimal(b.precision, b.scale); };

/**
 * The running sum plus `v`, or null once it has more digits than the buffer holds: Spark keeps
 * the buffer in an UnsafeRow of the buffer type, which stores a decimal that does not fit as null,
 * and null plus anything stays null, so an overflow anywhere makes the group's result null (non-ANSI).
 */
function addChecked(sum: Cell, v: bigint, buf: DecimalType): Cell {
  if (sum === null) return null;
  const next = (sum as bigint) + v;
  return fitsPrecision(next, buf.precision) ? next : null;
}

/**
 * sum(decimal(p, s)) is decimal(p + 10, s), Spark's Sum: exact, null for a group with no value,
 * null when it overflows (state: the sum, and whether a value was seen, as Spark's isEmpty).
 */
export function decimalSum(name: string, input: DecimalType): Aggregator {
  const buf = bufferType(input);
  return {
    name, type: buf, stateFields: [f('sum', buf), f('set', boolean)],
    update: (vals, base, slot, v) => {
      if (v === null) return;
      const set = vals[base + 1]![slot] === true;
      vals[base]![slot] = addChecked(set ? vals[base]![slot] ?? null : 0n, v as bigint, buf);
      vals[base + 1]![slot] = true;
    },
    merge: (vals, base, slot, from, src) => {
      if (from[base + 1]![src] !== true) return;
      const set = vals[base + 1]![slot] === true, other = from[base]![src] ?? null;
      vals[base]![slot] = other === null ? null : addChecked(set ? vals[base]![slot] ?? null : 0n, other as bigint, buf);
      vals[base + 1]![slot] = true;
    },
    result: (vals, base, slot) => (vals[base + 1]![slot] === true ? vals[base]![slot] ?? null : null),
  };
}

/**
 * avg(decimal(p, s)) is decimal(p + 4, s + 4), Spark's Average: the decimal(p + 10, s) sum divided by
 * the count as decimal(20, 0) with Spark's division type, then cast (HALF_UP) to the result type;
 * null for no values or when the sum overflowed.
 */
export function decimalAvg(name: string, input: DecimalType): Aggregator {
  const buf = bufferType(input), r = bounded(input.precision + 4, input.scale + 4), out = decimal(r.precision, r.scale);
  const countType = decimal(20, 0), divType = decimalResultType('divide', buf, countType);
  return {
    name, type: out, stateFields: [f('sum', buf), f('n', long)],
    update: (vals, base, slot, v) => {
      if (v === null) return;
      const n = (vals[base + 1]![slot] as bigint | null) ?? 0n;
      vals[base]![slot] = addChecked(n === 0n ? 0n : vals[base]![slot] ?? null, v as bigint, buf);
      vals[base + 1]![slot] = n + 1n;
    },
    merge: (vals, base, slot, from, src) => {
      const m = (from[base + 1]![src] as bigint | null) ?? 0n;
      if (m === 0n) return;
      const n = (vals[base + 1]![slot] as bigint | null) ?? 0n, other = from[base]![src] ?? null;
      vals[base]![slot] = other === null ? null : addChecked(n === 0n ? 0n : vals[base]![slot] ?? null, other as bigint, buf);
      vals[base + 1]![slot] = n + m;
    },
    result: (vals, base, slot) => {
      const n = (vals[base + 1]![slot] as bigint | null) ?? 0n, sum = vals[base]![slot] ?? null;
      if (n === 0n || sum === null) return null;
      const q = decimalOp('divide', sum as bigint, buf.scale, n, 0, divType);
      if (q === null) return null;
      const v = rescale(q, divType.scale, out.scale);
      return fitsPrecision(v, out.precision) ? v : null;
    },
  };
}
