import { AnalysisError } from '../../errors.ts';
import type { PhysicalPlan } from '../../plan/physical-plan.ts';
import type { StageLayout } from './scale-out-file.ts';

/**
 * Stage 0 of a scale-out query (or a join's upstream stage `stage`, over one side's input): one task per partition of its input topics, which must be
 * co-partitioned (the same partition count), as Kafka Streams requires, since task `0_p` reads
 * partition p of each of them.
 */
export async function inputStage(plan: PhysicalPlan, stage = 0): Promise<StageLayout> {
  const input: Record<string, number> = {};
  for (const s of plan.sources) {
    const split = s.provider.partitioned;
    if (!split) {
      throw new AnalysisError(`Scale-out splits a query into tasks by input partition, and the ${s.provider.name} source has no partitions to split by. `
        + `Read from Kafka, or run the query without option 'sluice.scaleOut'.`);
    }
    for (const [topic, n] of await split.partitionCounts({ options: s.options })) input[topic] = n;
  }
  const counts = new Set(Object.values(input));
  if (counts.size > 1) {
    throw new AnalysisError(`Scale-out runs task p over partition p of every input topic, so the topics must have the same number of partitions; `
      + `${Object.entries(input).map(([t, n]) => `'${t}' has ${n}`).join(', ')}. Repartition the topics to one count, or run the query without option 'sluice.scaleOut'.`);
  }
  return { stage, tasks: [...counts][0] ?? 0, input };
}
