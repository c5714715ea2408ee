import type { GroupOwner } from '../progress.ts';

/**
 * Which tasks a worker runs (docs/design/scale-out.md, "Assignment and rebalancing"). The worker
 * (worker.ts) knows nothing of how the answer is reached: a fixed split (StaticAssignment) or the
 * Kafka consumer group with sluice's sticky assignor.
 */
export interface Assignment {
  /** Counts up with each new answer (the group's generation). */
  readonly generation: number;
  /** The tasks this worker is to run, in task order. */
  readonly tasks: readonly string[];
  /** A group's members and their tasks (the generation's whole table), for the group view. */
  readonly members?: readonly GroupOwner[];
}

export interface TaskAssignment {
  /** Join (or rejoin after rebalanceNeeded()) with the tasks this worker runs now; resolves with what it is to run. */
  join(owned: readonly string[]): Promise<Assignment>;
  /** True once the assignment has changed and the worker should finish its batches and join again. */
  rebalanceNeeded(): boolean;
  /** Leave: the tasks go to the other workers at once rather than after a timeout. */
  leave(): Promise<void>;
  /**
   * A gained task whose lease another process holds is tried again for as long as this worker owns
   * it (a group: its previous owner is letting go, or died and its lease expires; a rebalance may take
   * it elsewhere). False: a held lease past leaseWaitMs fails the worker (a fixed split: another copy
   * of this worker runs).
   */
  readonly waitsForLeases: boolean;
}

/**
 * Worker `worker` of `workers` takes every workers-th task, round robin in task order: what `sluice
 * run --workers N` and tests use when no group decides. It never rebalances; a worker that dies
 * keeps its tasks until it is started again (its tasks' leases let the new process in at once).
 */
export class StaticAssignment implements TaskAssignment {
  constructor(private readonly allTasks: readonly string[], private readonly worker: number, private readonly workers: number) {}

  async join(): Promise<Assignment> {
    return { generation: 0, tasks: this.allTasks.filter((_, i) => i % this.workers === this.worker) };
  }

  rebalanceNeeded(): boolean { return false; }

  async leave(): Promise<void> {}

  readonly waitsForLeases = false;
}
