import { CheckpointError } from '../errors.ts';
import type { Checkpoint } from './checkpoint.ts';

const enc = new TextEncoder(), dec = new TextDecoder();

/**
 * state/<op>/_metadata: the shape of the stateful operator that wrote the state. A restart
 * with another shape would read state rows wrongly, so it is refused, saying what differs.
 */
export async function checkOperatorShape(checkpoint: Checkpoint, hasCommits: boolean, shape: Record<string, unknown> | null): Promise<void> {
  const { storage } = checkpoint, path = checkpoint.operatorMetadataPath(0);
  const bytes = await storage.read(path);
  const stored = bytes ? (JSON.parse(dec.decode(bytes)) as Record<string, unknown>) : null;
  const what = (s: Record<string, unknown> | null): string => (s ? `${s.operator} with keys [${(s.keys as string[]).join(', ')}]${s.aggregates ? ` and aggregates [${(s.aggregates as string[]).join(', ')}]` : ''}` : 'no stateful operator');
  if (!stored) {
    if (shape && hasCommits) {
      throw new CheckpointError(`This checkpoint was written by a query with no aggregation or dropDuplicates, but the query now has ${what(shape)}. `
        + `State cannot be rebuilt for the batches already done: use a new checkpointLocation.`);
    }
    if (shape) await storage.write(path, enc.encode(JSON.stringify(shape) + '\n'));
    return;
  }
  if (!shape) {
    throw new CheckpointError(`This checkpoint holds state of ${what(stored)}, but the query now has no stateful operator. Use a new checkpointLocation.`);
  }
  const diffs: string[] = [];
  // Only what the checkpoint recorded: older versions wrote fewer fields (no "functions").
  for (const k of Object.keys(stored)) {
    const a = JSON.stringify(stored[k]), b = JSON.stringify(shape[k]);
    if (a !== b) diffs.push(`${k}: the checkpoint has ${a ?? 'none'}, the query has ${b ?? 'none'}`);
  }
  if (diffs.length) {
    throw new CheckpointError(`The query changed in a way its checkpoint's state cannot follow (${path}): ${diffs.join('; ')}. `
      + `Restore the previous query, or start this one with a new checkpointLocation.`);
  }
}
