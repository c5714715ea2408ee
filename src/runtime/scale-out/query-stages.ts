import type { Checkpoint } from '../../checkpoint/checkpoint.ts';
import { planQuery } from '../../plan/planner.ts';
import type { PhysicalPlan } from '../../plan/physical-plan.ts';
import type { QueryHost, QuerySpec } from '../start-query.ts';
import type { Trigger } from '../trigger.ts';
import { inputStage } from './input-layout.ts';
import { BoundedRun } from './bounded-run.ts';
import { stageTasks, type StageLayout } from './scale-out-file.ts';
import { planShuffleStages } from './shuffle-stages.ts';
import type { TaskPlan } from './task-run.ts';

/** A scale-out query's stages (for the `scale-out` file) and what each of their tasks runs. */
export interface QueryStages {
  readonly stages: readonly StageLayout[];
  taskPlan(task: string): TaskPlan;
}

/** `<stage>_<p>` -> [stage, p]. */
const parseTask = (task: string): [number, number] => {
  const i = task.indexOf('_');
  return [Number(task.slice(0, i)), Number(task.slice(i + 1))];
};

/**
 * The stages of `spec` as tasks (docs/design/scale-out.md, "The task model"). A stateless query
 * is one stage: task `0_p` is the whole query over input partition p. A stateful one is cut at
 * its shuffle (shuffle-stages.ts): task `0_p` runs the upstream part over input partition p into
 * the repartition topic, task `1_q` the operator and the user's sink over the topic's partition q.
 * A stream-stream join has an upstream stage per side (`0_p` over the left input's partition p,
 * `1_p` over the right's, each into its side's topic) and task `2_q` joins partition q of both topics.
 * With a bounded trigger (availableNow, once), the tasks take part in the checkpoint's current run
 * (bounded-run.ts): a downstream task drains up to where every upstream task ended the run.
 */
export async function queryStages(spec: QuerySpec, plan: PhysicalPlan, host: QueryHost, checkpoint: Checkpoint, trigger: Trigger): Promise<QueryStages> {
  if (!plan.stages.length) {
    const input = await inputStage(plan);
    return { stages: [input], taskPlan: (task) => ({ plan, sinkRequest: spec, outputMode: spec.outputMode, partition: parseTask(task)[1] }) };
  }
  const shuffle = (await planShuffleStages(spec, host))!;
  // One upstream stage per input of the operator (a join's two sides read different topics, with their own partition counts).
  const upstream = await Promise.all(shuffle.cut.sides.map((side, s) => inputStage(planQuery(side.upstream), s)));
  const shuffled: StageLayout = { stage: shuffle.downstreamStage, tasks: shuffle.partitions, input: Object.fromEntries(shuffle.topics.map((t) => [t, shuffle.partitions])) };
  const run = trigger.kind === 'availableNow' || trigger.kind === 'once'
    ? await BoundedRun.join(checkpoint, upstream.flatMap(stageTasks), stageTasks(shuffled)) : null;
  return {
    stages: [...upstream, shuffled],
    taskPlan(task) {
      const [stage, p] = parseTask(task);
      const root = checkpoint.taskCheckpoint(task).root;
      if (stage < shuffle.downstreamStage) {
        const up = shuffle.upstream(root, undefined, stage);
        // The Kafka sink adds `-<task>` to this itself (open's task), which gives the design's `sluice-<query id>-<task>`.
        up.options.set('kafka.transactional.id', `sluice-${shuffle.queryId}`);
        const bounded = run && { ended: () => run.ended(task), onEnd: async () => run.upstreamEnded(task, await shuffle.stableOffsets(stage)) };
        return { plan: planQuery(up.plan), sinkRequest: up, outputMode: up.outputMode, partition: p, bounded: bounded ?? undefined };
      }
      const down = shuffle.downstream(root, [p]);
      // Its sources are the sides' topics, in order (shuffle-stages.ts downstream()).
      const bounded = run && {
        ended: () => run.ended(task), onEnd: () => run.downstreamEnded(task),
        target: (source: number, signal: AbortSignal) => run.target(shuffle.topics[source]!, p, signal),
      };
      return { plan: planQuery(down.plan), sinkRequest: down, outputMode: down.outputMode, partition: null, bounded: bounded ?? undefined };
    },
  };
}
