import type { Expr } from './expr.ts';

/**
 * Spark's StreamingJoinHelper.getStateValueWatermark: from a join condition's time ranges, the
 * time at or below which a row of one side can no longer match any row the other side may still
 * send. Each comparison `a < b` is moved into `a - b < 0` and split into terms (columns and
 * constants, each maybe negated); a conjunct counts when it holds exactly one column of this
 * side, negated (`... - thisTime < 0`, i.e. thisTime is bounded from below), and every column of
 * the other side in it is that side's watermarked column. That column is replaced by the
 * watermark and the constants summed: `watermark + c < thisTime`. For `<=`/`>=` the bound is one
 * less (the state predicate removes rows at or below it). The smallest bound of all conjuncts wins.
 * Intervals with months are refused, as Spark refuses them (their length varies).
 */
interface Term { readonly col: string | null; readonly neg: boolean; readonly ms: number }

const DAY_MS = 86_400_000;

function collect(e: Expr, neg: boolean, out: Term[]): boolean {
  switch (e.op) {
    case 'binary':
      if (e.fn === 'plus') return collect(e.left, neg, out) && collect(e.right, neg, out);
      if (e.fn === 'minus') return collect(e.left, neg, out) && collect(e.right, !neg, out);
      return false;
    case 'cast': return ['timestamp', 'long', 'int', 'double'].includes(e.to.kind) && collect(e.child, neg, out);
    case 'col': out.push({ col: e.name, neg, ms: 0 }); return true;
    case 'interval':
      if (e.months !== 0) return false;
      out.push({ col: null, neg, ms: e.days * DAY_MS + e.ms }); return true;
    case 'lit': {
      // Spark takes a plain number in a time comparison as seconds.
      const v = typeof e.value === 'bigint' ? Number(e.value) : e.value;
      if (typeof v !== 'number') return false;
      out.push({ col: null, neg, ms: v * 1000 }); return true;
    }
    default: return false;
  }
}

/** The bound from `l < r`, or null when the conjunct bounds nothing. */
function fromLessThan(l: Expr, r: Expr, thisSide: (c: string) => boolean, otherWatermark: string, watermarkMs: number): number | null {
  const terms: Term[] = [];
  if (!collect(l, false, terms) || !collect(r, true, terms)) return null;
  const mine = terms.filter((t) => t.col !== null && thisSide(t.col));
  const theirs = terms.filter((t) => t.col !== null && !thisSide(t.col));
  if (new Set(mine.map((t) => t.col)).size !== 1 || mine.length !== 1 || new Set(theirs.map((t) => t.col)).size > 1) return null;
  if (!mine[0]!.neg) return null;
  let sum = 0;
  for (const t of terms) {
    if (t === mine[0]) continue;
    if (t.col !== null && t.col !== otherWatermark) return null;
    const v = t.col === null ? t.ms : watermarkMs;
    sum += t.neg ? -v : v;
  }
  return Math.trunc(sum);
}

/**
 * `thisSide` says whether a column belongs to the side whose state is bounded; `otherWatermark` is
 * the other side's watermarked column (null: no bound); null when no conjunct bounds the side.
 */
export function stateValueWatermark(conjuncts: readonly Expr[], thisSide: (c: string) => boolean, otherWatermark: string | null, watermarkMs: number): number | null {
  if (otherWatermark === null) return null;
  let best: number | null = null;
  for (const c of conjuncts) {
    if (c.op !== 'binary') continue;
    let w: number | null = null;
    switch (c.fn) {
      case 'lt': w = fromLessThan(c.left, c.right, thisSide, otherWatermark, watermarkMs); break;
      case 'leq': w = fromLessThan(c.left, c.right, thisSide, otherWatermark, watermarkMs); if (w !== null) w -= 1; break;
      case 'gt': w = fromLessThan(c.right, c.left, thisSide, otherWatermark, watermarkMs); break;
      case 'geq': w = fromLessThan(c.right, c.left, thisSide, otherWatermark, watermarkMs); if (w !== null) w -= 1; break;
      default: break;
    }
    if (w !== null) best = best === null ? w : Math.min(best, w);
  }
  return best;
}
