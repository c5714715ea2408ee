import type { Batch } from '../data/batch.ts';
import type { Offset, Source } from '../sources/source.ts';

export interface InputRead {
  readonly rows: number;
  /** Wall time of the read less the time spent in `apply` (progress's getBatch). */
  readonly readMs: number;
  /** Time spent in `apply` (the query's share of progress's addBatch). */
  readonly applyMs: number;
}

/**
 * One source's part of a batch, [start, end), through `apply` (the query's per-chunk operators);
 * `prefetched`: its chunks, already read (prefetch.ts).
 * With a source that streams its chunks (Source.readBatch), a chunk is processed while the next is
 * fetched, so the broker's work and the query's overlap instead of taking turns. It pays only
 * when a core is free for the broker: on the YSB shape (bench/yahoo.ts) with the 2 cores already
 * saturated by other work (load average ~19) it measured the same as reading the batch whole.
 */
export async function readInput(source: Source, start: Offset, end: Offset, apply: (chunk: Batch) => void,
  prefetched?: readonly Batch[]): Promise<InputRead> {
  if (source.sameOffset(start, end)) return { rows: 0, readMs: 0, applyMs: 0 };
  let rows = 0, applyMs = 0;
  const onChunk = (chunk: Batch): void => {
    rows += chunk.numRows;
    const t = performance.now();
    apply(chunk);
    applyMs += performance.now() - t;
  };
  const t0 = performance.now();
  // Read while the previous batch ran (prefetch.ts); the offset log already holds [start, end).
  if (prefetched) for (const chunk of prefetched) onChunk(chunk);
  else if (source.readBatch) await source.readBatch(start, end, onChunk);
  else for (const chunk of await source.getBatch(start, end)) onChunk(chunk);
  return { rows, readMs: performance.now() - t0 - applyMs, applyMs };
}
