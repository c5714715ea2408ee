import type { EventTimeStats } from '../exec/compiled-expr.ts';
import type { Offset, Source } from '../sources/source.ts';

/** The largest event time a batch's withWatermark() columns saw, for the sink (a repartition sink's header); undefined when none. */
export function maxEventTime(stats: readonly EventTimeStats[]): number | undefined {
  let max: number | undefined;
  for (const s of stats) if (s.count > 0 && (max === undefined || s.max > max)) max = s.max;
  return max;
}

/**
 * What the sources that know it (a repartition topic: Source.maxEventTimeMs) say upstream's
 * largest event time was for this batch's ranges; undefined when no source knows (the rows' own
 * maximum decides, as before), null when such a source has heard nothing yet.
 */
export function externalMaxEventTime(sources: readonly Source[], starts: readonly Offset[], ends: readonly Offset[]): number | null | undefined {
  let out: number | null | undefined;
  sources.forEach((s, i) => {
    if (!s.maxEventTimeMs) return;
    const m = s.maxEventTimeMs(starts[i], ends[i]);
    if (m !== null && (out === undefined || out === null || m > out)) out = m;
    else if (out === undefined) out = null;
  });
  return out;
}
