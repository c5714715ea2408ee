import type { Checkpoint } from '../../checkpoint/checkpoint.ts';
import { readOperatorMetadata, type OperatorAggregate, type OperatorKey, type OperatorMetadata } from '../../checkpoint/operator-metadata.ts';

/**
 * `state/<op>/_metadata` as the tools show it: the engine's record, with `aggregates` always
 * there (none for dropDuplicates), and the file as written for --json.
 */
export interface OperatorShape extends OperatorMetadata {
  readonly aggregates: readonly OperatorAggregate[];
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The operator's shape, or null when it has no _metadata file; a damaged file throws the engine's CheckpointError. */
export async function readOperatorShape(checkpoint: Checkpoint, operatorId: number): Promise<OperatorShape | null> {
  const file = await readOperatorMetadata(checkpoint, operatorId);
  if (!file) return null;
  return { ...file.metadata, aggregates: file.metadata.aggregates ?? [], raw: file.json };
}

/** `window:tumbling(event_time, 5 minutes)`-style text for people. */
export function describeKey(k: OperatorKey): string {
  if (k.kind === 'column') return `${k.name}: ${k.type}`;
  if (k.kind === 'session') return `${k.name}: session_window(${k.time}, gap ${duration(k.gapMs)})`;
  return `${k.name}: window(${k.time}, ${duration(k.sizeMs)}${k.slideMs !== k.sizeMs ? `, slide ${duration(k.slideMs)}` : ''})`;
}

function duration(ms: number): string {
  for (const [unit, n] of [['hour', 3_600_000], ['minute', 60_000], ['second', 1000]] as const) {
    if (ms % n === 0 && ms >= n) return `${ms / n} ${unit}${ms === n ? '' : 's'}`;
  }
  return `${ms} ms`;
}
