/**
 * For crash tests with real processes: SLUICE_TEST_CRASH_AT=<phase>:<batchId> makes the
 * process SIGKILL itself at that point of that batch (phases: afterOffsetLog, beforeSink,
 * beforeCommit, afterCommit; prefetched, when batch N's input was read ahead during batch N-1 (prefetch.ts); inside the Kafka sink: kafkaMidBatch, after some of the batch's records
 * were produced, kafkaPrepared, after its prepared entry, before EndTxn, and kafkaCommitted, after
 * the Kafka commit, before commits/N; of a state snapshot of version N, state/snapshot-writer.ts: snapshotView,
 * when the commit has copied the columns for it, snapshotHalfWritten, half its bytes in the temp file,
 * snapshotWritten, once it is in place; in the background these fall while later batches run). Unset, it does nothing.
 */
export function crashHook(): ((phase: string, batchId: number) => void) | undefined {
  const at = process.env.SLUICE_TEST_CRASH_AT;
  if (!at) return undefined;
  const [phase, id] = at.split(':');
  return (p, batchId) => {
    if (p === phase && (id === undefined || id === '*' || Number(id) === batchId)) process.kill(process.pid, 'SIGKILL');
  };
}
