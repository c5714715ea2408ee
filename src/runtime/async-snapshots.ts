import { OptionError } from '../errors.ts';

/**
 * sluice.stateSnapshotAsync (default true): state snapshots are written in the background while
 * the next batches run (state/snapshot-writer.ts); false writes each in the batch that commits its
 * version, as sluice did before. Recovery reads the same files either way. Spark has no switch of
 * its own for this (its HDFS store always snapshots in the maintenance thread).
 */
export const ASYNC_SNAPSHOTS_CONF = 'sluice.stateSnapshotAsync';

export function asyncSnapshots(conf: ReadonlyMap<string, string>): boolean {
  const v = conf.get(ASYNC_SNAPSHOTS_CONF);
  if (v === undefined) return true;
  const b = v.toLowerCase();
  if (b !== 'true' && b !== 'false') throw new OptionError(`Session config '${ASYNC_SNAPSHOTS_CONF}' must be true or false, got '${v}'.`);
  return b === 'true';
}
