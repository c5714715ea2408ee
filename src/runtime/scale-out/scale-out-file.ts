import { CheckpointError } from '../../errors.ts';
import type { Checkpoint } from '../../checkpoint/checkpoint.ts';

const enc = new TextEncoder(), dec = new TextDecoder();

/** One stage of a scale-out query and the partitions that fix its task count. */
export interface StageLayout {
  readonly stage: number;
  readonly tasks: number;
  /** The stage's input topics and their partition counts at the first start. */
  readonly input: Readonly<Record<string, number>>;
}

/** The checkpoint's `scale-out` file: what the first start fixed (docs/design/scale-out.md). */
export interface ScaleOutLayout {
  readonly version: 1;
  readonly stages: readonly StageLayout[];
}

/** Task ids of a stage: `<stage>_<p>`, Kafka Streams' names. */
export function stageTasks(s: StageLayout): string[] {
  return Array.from({ length: s.tasks }, (_, p) => `${s.stage}_${p}`);
}

/** The checkpoint's layout, or null when it has none (it never ran with scale-out). */
export async function readScaleOutLayout(checkpoint: Checkpoint): Promise<ScaleOutLayout | null> {
  const bytes = await checkpoint.storage.read(checkpoint.scaleOutPath);
  if (!bytes) return null;
  try {
    const l = JSON.parse(dec.decode(bytes)) as ScaleOutLayout;
    if (l.version === 1 && Array.isArray(l.stages)) return l;
  } catch { /* reported below */ }
  throw new CheckpointError(`${checkpoint.scaleOutPath} is not a sluice scale-out file (expected {"version":1,"stages":[...]}); the checkpoint is damaged or was not written by sluice.`);
}

/**
 * The layout of `found` (the input as it is now), created exclusively at the first start, so
 * workers that start together agree on one. A later start whose input differs is refused: tasks
 * own their state and offsets by partition, and re-splitting them would re-hash keys silently.
 */
export async function loadOrCreateScaleOutLayout(checkpoint: Checkpoint, found: ScaleOutLayout): Promise<ScaleOutLayout> {
  if (!(await readScaleOutLayout(checkpoint))) await checkpoint.storage.create(checkpoint.scaleOutPath, enc.encode(JSON.stringify(found) + '\n'));
  const fixed = (await readScaleOutLayout(checkpoint))!;
  for (const s of found.stages) {
    const was = fixed.stages.find((f) => f.stage === s.stage);
    const same = was && was.tasks === s.tasks && JSON.stringify(Object.entries(was.input).sort()) === JSON.stringify(Object.entries(s.input).sort());
    if (!same) {
      const show = (l: StageLayout | undefined): string => l ? Object.entries(l.input).map(([t, n]) => `'${t}' ${n} partitions`).join(', ') : 'no such stage';
      throw new CheckpointError(`Stage ${s.stage} of this query reads ${show(s)}, but its checkpoint's tasks were fixed at the first start for ${show(was)} `
        + `(${checkpoint.scaleOutPath}). Tasks keep their offsets and state per partition, so they cannot be split again: `
        + `restore the query's input topics, or start with a new checkpointLocation and output path.`);
    }
  }
  return fixed;
}
