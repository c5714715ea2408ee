/**
 * Input for a group-kill test (scale-out, scale-out-windowed): waves of 40 rows, `everyMs` apart, while a worker
 * that is to be killed once it has run some batches lives, so it has batches to run however late it joins the group
 * (a worker that joined after the others had read every row was never killed, and CI waited out its timeout). The
 * waves go on until at least `minRows` are in and the worker has been gone for 3 waves, so each of its tasks has new
 * rows for its next owner; at most 200 waves. `wave(from, n)` produces rows from..from+n-1. Answers the rows
 * produced, and whether the worker was gone by the last wave.
 */
export async function produceWhileAlive(dying: Promise<unknown>, wave: (from: number, n: number) => Promise<void>,
  o: { minRows: number; everyMs: number }): Promise<{ produced: number; gone: boolean }> {
  let produced = 0, goneAt: number | null = null;
  void dying.then(() => { goneAt = produced; });
  for (let w = 0; (produced < o.minRows || goneAt === null || produced < goneAt + 120) && w < 200; w++) {
    await wave(produced, 40);
    produced += 40;
    await new Promise((r) => setTimeout(r, o.everyMs));
  }
  return { produced, gone: goneAt !== null };
}
