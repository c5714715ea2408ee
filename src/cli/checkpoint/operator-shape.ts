import type { Checkpoint } from '../../checkpoint/checkpoint.ts';
import { CliError } from '../cli-error.ts';

/** One grouping key of a stateful operator, as `state/<op>/_metadata` records it. */
export type ShapeKey =
  | { readonly name: string; readonly kind: 'column'; readonly type: string }
  | { readonly name: string; readonly kind: 'window'; readonly time: string; readonly sizeMs: number; readonly slideMs: number }
  | { readonly name: string; readonly kind: 'session'; readonly time: string; readonly gapMs: number };

/**
 * `state/<op>/_metadata`, parsed: the operator that wrote the state, its keys in groupBy order
 * and its aggregates. The state files hold the key columns first, then one column per field
 * of each aggregate's buffer, named `<aggregate index>_<field>`; this is what names them.
 */
export interface OperatorShape {
  readonly operator: string;
  readonly keys: readonly ShapeKey[];
  /** `fn` is the function and input (`sum(amount)`); absent in checkpoints written before sluice recorded it. */
  readonly aggregates: readonly { readonly name: string; readonly type: string; readonly fn?: string }[];
  /** The file as written, for --json. */
  readonly raw: Readonly<Record<string, unknown>>;
}

const dec = new TextDecoder();

export async function readOperatorShape(checkpoint: Checkpoint, operatorId: number): Promise<OperatorShape | null> {
  const path = checkpoint.operatorMetadataPath(operatorId);
  const bytes = await checkpoint.storage.read(path);
  if (!bytes) return null;
  let raw: unknown;
  try { raw = JSON.parse(dec.decode(bytes)); } catch { raw = null; }
  const r = raw as { operator?: unknown; keys?: unknown; aggregates?: unknown; functions?: unknown } | null;
  if (!r || typeof r.operator !== 'string' || !Array.isArray(r.keys) || !r.keys.every((k) => typeof k === 'string')) {
    throw new CliError(`${path} is not a state operator metadata file (expected {"operator": ..., "keys": [...]}); the checkpoint is damaged.`);
  }
  const aggs = Array.isArray(r.aggregates) ? r.aggregates.filter((a): a is string => typeof a === 'string') : [];
  const fns = Array.isArray(r.functions) ? r.functions : [];
  const aggregates = aggs.map((a, i) => ({ ...splitNameType(a), ...(typeof fns[i] === 'string' ? { fn: fns[i] as string } : {}) }));
  return { operator: r.operator, keys: (r.keys as string[]).map(parseKey), aggregates, raw: raw as Record<string, unknown> };
}

function parseKey(text: string): ShapeKey {
  let m = /^(.*):(tumbling|sliding)\((.*),(\d+),(\d+)\)$/.exec(text);
  if (m) return { name: m[1]!, kind: 'window', time: m[3]!, sizeMs: Number(m[4]), slideMs: Number(m[5]) };
  m = /^(.*):session\((.*),(\d+)\)$/.exec(text);
  if (m) return { name: m[1]!, kind: 'session', time: m[2]!, gapMs: Number(m[3]) };
  const { name, type } = splitNameType(text);
  return { name, kind: 'column', type };
}

function splitNameType(text: string): { name: string; type: string } {
  // Types may be struct<a:int,...>, so the name ends at the first ':' not inside one.
  const i = text.indexOf(':');
  return i < 0 ? { name: text, type: '?' } : { name: text.slice(0, i), type: text.slice(i + 1) };
}

/** `window:tumbling(event_time, 5 minutes)`-style text for people. */
export function describeKey(k: ShapeKey): string {
  if (k.kind === 'column') return `${k.name}: ${k.type}`;
  if (k.kind === 'session') return `${k.name}: session_window(${k.time}, gap ${duration(k.gapMs)})`;
  return `${k.name}: window(${k.time}, ${duration(k.sizeMs)}${k.slideMs !== k.sizeMs ? `, slide ${duration(k.slideMs)}` : ''})`;
}

function duration(ms: number): string {
  for (const [unit, n] of [['hour', 3_600_000], ['minute', 60_000], ['second', 1000]] as const) {
    if (ms % n === 0 && ms >= n) return `${ms / n} ${unit}${ms === n ? '' : 's'}`;
  }
  return `${ms} ms`;
}
