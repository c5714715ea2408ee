import type { EventTimeStats } from '../exec/compiled-expr.ts';
import type { Offset, Source } from '../sources/source.ts';

/** The largest event time a batch's withWatermark() columns saw, for the sink (a repartition sink's header); undefined when none. */
export function maxEventTime(stats: readonly EventTimeStats[]): number | undefined {
  let max: number | undefined;
  for (const s of stats) if (s.count > 0 && (max === undefined || s.max > max)) max = s.max;
  return max;
}

/**
 * Per source, what it says upstream's largest event time was for this batch's range (a
 * repartition topic: Source.maxEventTimeMs): null when it has heard nothing yet, undefined for a
 * source that does not know (its rows' own maximum decides). Undefined when no source knows.
 */
export function externalMaxEventTime(sources: readonly Source[], starts: readonly Offset[], ends: readonly Offset[]): (number | null | undefined)[] | undefined {
  if (!sources.some((s) => s.maxEventTimeMs)) return undefined;
  return sources.map((s, i) => s.maxEventTimeMs?.(starts[i], ends[i]));
}
