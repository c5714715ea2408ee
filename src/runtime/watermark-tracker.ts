import type { WatermarkSpec } from '../plan/physical-plan.ts';
import type { EventTimeStats } from '../exec/compiled-expr.ts';

export type MultipleWatermarkPolicy = 'min' | 'max';

/**
 * Spark's WatermarkTracker: each withWatermark() keeps the max event time it has seen;
 * the query's watermark is min (or max) over them of max − delay, computed after a
 * batch for the next one, and it never moves back.
 */
export class WatermarkTracker {
  private readonly maxSeen: number[];
  constructor(private readonly specs: readonly WatermarkSpec[], private readonly policy: MultipleWatermarkPolicy) {
    this.maxSeen = specs.map(() => -Infinity);
  }

  get defined(): boolean { return this.specs.length > 0; }

  observe(stats: readonly EventTimeStats[]): void {
    stats.forEach((s, i) => { if (s.max > this.maxSeen[i]!) this.maxSeen[i] = s.max; });
  }

  /** The watermark for the next batch, given the current one. */
  next(current: number): number {
    const candidates = this.specs.flatMap((s, i) => (this.maxSeen[i]! === -Infinity ? [] : [this.maxSeen[i]! - s.delayMs]));
    if (!candidates.length) return current;
    const w = this.policy === 'min' ? Math.min(...candidates) : Math.max(...candidates);
    return Math.max(current, w);
  }
}
