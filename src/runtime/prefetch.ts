import type { Batch } from '../data/batch.ts';
import type { Offset, ReadLimit, Source } from '../sources/source.ts';

/** The next batch's input, planned and read while the current batch runs its query, sink and commit. */
export interface Prefetched {
  /** Where the ranges start: the current batch's end offsets. */
  readonly from: readonly Offset[];
  /** The next batch's planned ends (what offsets/<N+1> will record). */
  readonly ends: readonly Offset[];
  /** Per source, its decoded chunks of [from, ends). */
  readonly chunks: readonly Batch[][];
  readonly readMs: number;
}

/**
 * Whether the sources hold more than the batch just planned (a rate limit or an availableNow target
 * cut it): then the next batch has data for sure, and reading it early overlaps the broker's work
 * and the decoding with this batch's query, sink writes and fsyncs. At a low rate there is no
 * backlog and nothing is read early, so a record is never held back in a batch planned before it
 * arrived.
 */
export function hasBacklog(sources: readonly Source[], ends: readonly Offset[]): boolean {
  return sources.some((s, i) => {
    const latest = s.reportLatestOffset?.();
    return latest !== undefined && !s.sameOffset(latest, ends[i]);
  });
}

/**
 * Plans the batch after the one ending at `from` and reads it, without touching the checkpoint.
 * Exactly once holds because nothing here reaches the query: the trigger loop writes offsets/<N+1>
 * with `ends` first (after commits/<N>), and only then runs the operators over `chunks`. A prefetch
 * the loop does not use (a crash, a stop, a failure) was never logged and is just dropped; a failure
 * resolves to null, and the loop's own read of the range reports it.
 */
export function prefetch(sources: readonly Source[], from: readonly Offset[], limit: ReadLimit, target: readonly Offset[] | undefined): Promise<Prefetched | null> {
  const run = async (): Promise<Prefetched | null> => {
    const ends = await Promise.all(sources.map((s, i) => s.latestOffset(from[i], limit, target?.[i])));
    if (ends.every((e, i) => sources[i]!.sameOffset(e, from[i]))) return null;
    const t0 = performance.now();
    const chunks = await Promise.all(sources.map((s, i) => (s.sameOffset(from[i], ends[i]) ? [] : s.getBatch(from[i], ends[i]))));
    return { from: [...from], ends, chunks, readMs: performance.now() - t0 };
  };
  return run().catch(() => null);
}

/** True when `p` continues exactly from the committed offsets (it was started from them). */
export function continuesFrom(p: Prefetched, sources: readonly Source[], committed: readonly Offset[]): boolean {
  return sources.every((s, i) => s.sameOffset(p.from[i], committed[i]));
}
