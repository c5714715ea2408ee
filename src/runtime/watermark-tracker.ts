import type { WatermarkSpec } from '../plan/physical-plan.ts';
import type { EventTimeStats } from '../exec/compiled-expr.ts';

export type MultipleWatermarkPolicy = 'min' | 'max';

/**
 * Spark's WatermarkTracker (updateWatermark): each withWatermark() keeps its own watermark,
 * max event time seen − delay, which only moves forward; one that has seen no data yet counts
 * as 0, so under `min` the query's watermark stays 0 until every input has had data. The query's
 * watermark is min (or max) over them, computed after a batch for the next one, and it never
 * moves back. Like Spark's, the per-withWatermark values live only for this run: a restart
 * starts them afresh from the watermark recorded in the checkpoint.
 */
export class WatermarkTracker {
  private readonly perOperator: (number | undefined)[];
  constructor(private readonly specs: readonly WatermarkSpec[], private readonly policy: MultipleWatermarkPolicy) {
    this.perOperator = specs.map(() => undefined);
  }

  get defined(): boolean { return this.specs.length > 0; }

  /**
   * After a batch: its event-time stats, one per withWatermark(), in plan order. `external`, given
   * when an input is a repartition topic (Source.maxEventTimeMs), holds per source the largest
   * event time upstream has seen (null: none yet; undefined: that source does not say), which
   * stands for the rows' own maximum (they are one partition's share of it). With one
   * withWatermark per source (a shuffle's downstream stage: plan order is source order) source i
   * speaks for withWatermark i; otherwise the largest said speaks for each.
   */
  observe(stats: readonly EventTimeStats[], external?: readonly (number | null | undefined)[]): void {
    this.specs.forEach((spec, i) => {
      const s = stats[i], prev = this.perOperator[i];
      const said = external === undefined ? undefined : external.length === this.specs.length ? external[i] : largest(external);
      const max = said !== undefined ? said : s && s.count > 0 ? s.max : null;
      if (max !== null) {
        const w = max - spec.delayMs;
        if (prev === undefined || w > prev) this.perOperator[i] = w;
      } else if (prev === undefined) this.perOperator[i] = 0; // no data yet: 0, as Spark populates it
    });
  }

  /** The watermark for the next batch, given the current one. */
  next(current: number): number {
    const seen = this.perOperator.filter((w): w is number => w !== undefined);
    if (!seen.length) return current;
    const w = this.policy === 'min' ? Math.min(...seen) : Math.max(...seen);
    return Math.max(current, w);
  }
}

/** The largest number among `xs`; null when some say null and none a number; undefined when none says anything. */
function largest(xs: readonly (number | null | undefined)[]): number | null | undefined {
  let out: number | null | undefined;
  for (const x of xs) if (typeof x === 'number' ? out === undefined || out === null || x > out : x === null && out === undefined) out = x;
  return out;
}
