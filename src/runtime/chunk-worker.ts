import { parentPort } from 'node:worker_threads';
import type { Batch } from '../data/batch.ts';
import { newEvalContext } from '../exec/compiled-expr.ts';
import { type OperatorSpec, operatorOf } from '../plan/operator-spec.ts';
import type { ChunkOperator } from '../plan/physical-plan.ts';
import { type ChunkReply, type ChunkRequest, batchFromIpc, batchToIpc } from './chunk-transfer.ts';

/**
 * The worker thread's side of chunk-workers.ts: plans the operators of each spec list once, runs
 * each chunk through them, and sends the rows back with what the chunk added to the batch's
 * context (malformed rows dropped, event-time statistics). A failure goes back as the error's
 * class name and message, which the trigger loop raises as the same class.
 */
const planned = new Map<number, ChunkOperator[]>();

function operatorsOf(plan: number, specs: readonly OperatorSpec[]): ChunkOperator[] {
  let ops = planned.get(plan);
  if (!ops) {
    ops = specs.map(operatorOf);
    if (planned.size >= 32) planned.delete(planned.keys().next().value!);
    planned.set(plan, ops);
  }
  return ops;
}

function run(req: ChunkRequest): ChunkReply {
  try {
    const ctx = newEvalContext(req.watermarks, req.batchTimestampMs);
    let b: Batch = batchFromIpc(req.schema, req.ipc);
    for (const op of operatorsOf(req.plan, req.specs)) b = op(b, ctx);
    return { id: req.id, ok: true, schema: b.schema, ipc: batchToIpc(b), malformedRowsDropped: ctx.metrics.malformedRowsDropped, eventTime: ctx.eventTime };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { id: req.id, ok: false, name: err.name, message: err.message, stack: err.stack };
  }
}

// For tests: SLUICE_TEST_CHUNK_WORKER_EXIT=<k> ends this thread when its k-th chunk comes, as a
// crash of the thread would; the trigger loop then runs the chunks it had out itself.
const exitAt = Number(process.env.SLUICE_TEST_CHUNK_WORKER_EXIT ?? 0);
let received = 0;

const port = parentPort!;
port.on('message', (req: ChunkRequest) => {
  if (exitAt > 0 && ++received === exitAt) process.exit(1);
  const reply = run(req);
  port.postMessage(reply, reply.ok ? [reply.ipc.buffer as ArrayBuffer] : []);
});
port.postMessage({ ready: true });
