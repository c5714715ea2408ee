import { CheckpointError } from '../errors.ts';
import type { Checkpoint } from './checkpoint.ts';

const enc = new TextEncoder(), dec = new TextDecoder();

/** One grouping key of a stateful operator; `type` is the column type's text (`string`, `struct<a:int>`). */
export type OperatorKey =
  | { readonly name: string; readonly kind: 'column'; readonly type: string }
  | { readonly name: string; readonly kind: 'window'; readonly time: string; readonly sizeMs: number; readonly slideMs: number }
  | { readonly name: string; readonly kind: 'session'; readonly time: string; readonly gapMs: number };

/** One aggregate: its output column, and its state buffer's columns are `<its index>_<field>`. */
export interface OperatorAggregate {
  readonly name: string;
  readonly type: string;
  /** The function and its input (`sum(amount)`); absent in checkpoints written before sluice recorded it. */
  readonly fn?: string;
}

/**
 * state/<op>/_metadata: the shape of the stateful operator that wrote the state, which the
 * operators in exec/ describe, a restart checks and `sluice checkpoint` reads. The state files
 * hold the key columns first, then the aggregates' buffers; this is what names them.
 */
export interface OperatorMetadata {
  /** `aggregate`, `sessionAggregate`, `dropDuplicates` or `dropDuplicatesWithinWatermark`. */
  readonly operator: string;
  /** In groupBy (or dropDuplicates) order. */
  readonly keys: readonly OperatorKey[];
  /** Absent for an operator without aggregates (dropDuplicates). */
  readonly aggregates?: readonly OperatorAggregate[];
}

/** The file as read: the record, and its JSON as written (a restart compares it field by field; --json prints it). */
export interface OperatorMetadataFile {
  readonly path: string;
  readonly metadata: OperatorMetadata;
  readonly json: Readonly<Record<string, unknown>>;
}

/*
 * The file keeps each key and aggregate as one `name:type` text, as sluice has always written it:
 * {"operator":"aggregate","keys":["window:tumbling(event_time,300000,300000)","user_id:string"],
 *  "aggregates":["total_spend:double"],"functions":["sum(amount)"]}
 */

function keyText(k: OperatorKey): string {
  switch (k.kind) {
    case 'column': return `${k.name}:${k.type}`;
    // window() makes a window tumbling exactly when its slide is its size.
    case 'window': return `${k.name}:${k.slideMs === k.sizeMs ? 'tumbling' : 'sliding'}(${k.time},${k.sizeMs},${k.slideMs})`;
    case 'session': return `${k.name}:session(${k.time},${k.gapMs})`;
  }
}

function parseKey(text: string): OperatorKey {
  let m = /^(.*):(tumbling|sliding)\((.*),(\d+),(\d+)\)$/.exec(text);
  if (m) return { name: m[1]!, kind: 'window', time: m[3]!, sizeMs: Number(m[4]), slideMs: Number(m[5]) };
  m = /^(.*):session\((.*),(\d+)\)$/.exec(text);
  if (m) return { name: m[1]!, kind: 'session', time: m[2]!, gapMs: Number(m[3]) };
  const { name, type } = splitNameType(text);
  return { name, kind: 'column', type };
}

function splitNameType(text: string): { name: string; type: string } {
  // Types may be struct<a:int,...>, so the name ends at the first ':'.
  const i = text.indexOf(':');
  return i < 0 ? { name: text, type: '?' } : { name: text.slice(0, i), type: text.slice(i + 1) };
}

/** The file's fields, in the order sluice writes them; `functions` only when every aggregate has one. */
function toJson(m: OperatorMetadata): Record<string, unknown> {
  const json: Record<string, unknown> = { operator: m.operator, keys: m.keys.map(keyText) };
  if (m.aggregates) {
    json.aggregates = m.aggregates.map((a) => `${a.name}:${a.type}`);
    if (m.aggregates.every((a) => a.fn !== undefined)) json.functions = m.aggregates.map((a) => a.fn);
  }
  return json;
}

function fromJson(path: string, json: unknown): OperatorMetadata {
  const r = json as { operator?: unknown; keys?: unknown; aggregates?: unknown; functions?: unknown } | null;
  if (!r || typeof r !== 'object' || typeof r.operator !== 'string' || !Array.isArray(r.keys) || !r.keys.every((k) => typeof k === 'string')) {
    throw new CheckpointError(`${path} is not a state operator metadata file (expected {"operator": ..., "keys": [...]}); the checkpoint is damaged.`);
  }
  const keys = (r.keys as string[]).map(parseKey);
  if (r.aggregates === undefined || r.aggregates === null) return { operator: r.operator, keys };
  // Older versions wrote fewer fields (no "functions"); what is there is taken as it is.
  const aggs = Array.isArray(r.aggregates) ? r.aggregates.filter((a): a is string => typeof a === 'string') : [];
  const fns: unknown[] = Array.isArray(r.functions) ? r.functions : [];
  const aggregates = aggs.map((a, i) => { const fn = fns[i]; return { ...splitNameType(a), ...(typeof fn === 'string' ? { fn } : {}) }; });
  return { operator: r.operator, keys, aggregates };
}

/** state/<op>/_metadata, or null when the operator has none; a CheckpointError when it is damaged. */
export async function readOperatorMetadata(checkpoint: Checkpoint, operatorId: number): Promise<OperatorMetadataFile | null> {
  const path = checkpoint.operatorMetadataPath(operatorId);
  const bytes = await checkpoint.storage.read(path);
  if (!bytes) return null;
  let json: unknown;
  try { json = JSON.parse(dec.decode(bytes)); } catch { json = null; }
  const metadata = fromJson(path, json);
  return { path, metadata, json: json as Record<string, unknown> };
}

export async function writeOperatorMetadata(checkpoint: Checkpoint, operatorId: number, m: OperatorMetadata): Promise<void> {
  await checkpoint.storage.write(checkpoint.operatorMetadataPath(operatorId), enc.encode(JSON.stringify(toJson(m)) + '\n'));
}

/**
 * A restart with another shape would read state rows wrongly, so it is refused, saying what
 * differs. The first run of a stateful query writes the file (`query` null: no stateful operator).
 */
export async function checkOperatorMetadata(checkpoint: Checkpoint, operatorId: number, hasCommits: boolean, query: OperatorMetadata | null): Promise<void> {
  const stored = await readOperatorMetadata(checkpoint, operatorId);
  const what = (m: OperatorMetadata | null): string => (m ? `${m.operator} with keys [${m.keys.map(keyText).join(', ')}]${m.aggregates ? ` and aggregates [${m.aggregates.map((a) => `${a.name}:${a.type}`).join(', ')}]` : ''}` : 'no stateful operator');
  if (!stored) {
    if (query && hasCommits) {
      throw new CheckpointError(`This checkpoint was written by a query with no aggregation or dropDuplicates, but the query now has ${what(query)}. `
        + `State cannot be rebuilt for the batches already done: use a new checkpointLocation.`);
    }
    if (query) await writeOperatorMetadata(checkpoint, operatorId, query);
    return;
  }
  if (!query) {
    throw new CheckpointError(`This checkpoint holds state of ${what(stored.metadata)}, but the query now has no stateful operator. Use a new checkpointLocation.`);
  }
  const wanted = toJson(query);
  const diffs: string[] = [];
  // Only what the checkpoint recorded: older versions wrote fewer fields (no "functions").
  for (const k of Object.keys(stored.json)) {
    const a = JSON.stringify(stored.json[k]), b = JSON.stringify(wanted[k]);
    if (a !== b) diffs.push(`${k}: the checkpoint has ${a ?? 'none'}, the query has ${b ?? 'none'}`);
  }
  if (diffs.length) {
    throw new CheckpointError(`The query changed in a way its checkpoint's state cannot follow (${stored.path}): ${diffs.join('; ')}. `
      + `Restore the previous query, or start this one with a new checkpointLocation.`);
  }
}
