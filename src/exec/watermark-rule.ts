import type { WatermarkContext } from './stateful.ts';

/**
 * The one statement of DESIGN §6's rule, shared by every stateful operator as Spark shares it
 * through WatermarkSupport. An event-time bound is the window's end for a window, a session's
 * end for a session, the event time itself for other keys (dropDuplicates).
 *
 * - Late: the bound is at or before W(N-1), so an earlier batch closed what the row belongs to.
 *   A row of a window still open is not late, even when it is older than W(N).
 * - Evicted (and, in append mode, emitted): the bound is at or before W(N).
 * With no watermark in the query nothing is late and nothing is evicted.
 */
export function isLate(bound: number, w: WatermarkContext): boolean {
  return w.defined && bound <= w.lateMs;
}

export function isEvicted(bound: number, w: WatermarkContext): boolean {
  return w.defined && bound <= w.evictMs;
}

