import { randomUUID } from 'node:crypto';
import { CheckpointError } from '../errors.ts';
import type { Checkpoint } from './checkpoint.ts';

const enc = new TextEncoder(), dec = new TextDecoder();

/** <checkpoint>/metadata: the query id, which stays the same across restarts. */
export async function loadOrCreateQueryId(checkpoint: Checkpoint): Promise<string> {
  const { storage, metadataPath: path } = checkpoint;
  const existing = await storage.read(path);
  if (existing) return parse(path, existing);
  const id = randomUUID();
  if (await storage.create(path, enc.encode(JSON.stringify({ id }) + '\n'))) return id;
  return parse(path, (await storage.read(path))!);
}

/**
 * <checkpoint>/metadata holding `id`, the id of the query it is part of (a scale-out task's
 * checkpoint repeats the query's id): created if absent, refused if it names another query.
 */
export async function ensureQueryId(checkpoint: Checkpoint, id: string): Promise<void> {
  const path = checkpoint.metadataPath;
  if (!(await checkpoint.storage.exists(path))) await checkpoint.storage.create(path, enc.encode(JSON.stringify({ id }) + '\n'));
  const found = parse(path, (await checkpoint.storage.read(path))!);
  if (found !== id) {
    throw new CheckpointError(`${path} belongs to query ${found}, but it lies in the checkpoint of query ${id}; the checkpoint was assembled from two queries. `
      + `Point checkpointLocation at a new directory.`);
  }
}

/** The query id of an existing checkpoint, or null when it has no metadata file (reads only). */
export async function readQueryId(checkpoint: Checkpoint): Promise<string | null> {
  const path = checkpoint.metadataPath;
  const bytes = await checkpoint.storage.read(path);
  return bytes ? parse(path, bytes) : null;
}

function parse(path: string, bytes: Uint8Array): string {
  try {
    const m = JSON.parse(dec.decode(bytes)) as { id?: unknown };
    if (typeof m.id === 'string') return m.id;
  } catch { /* reported below */ }
  throw new CheckpointError(`${path} is not a sluice checkpoint metadata file (expected {"id": "<uuid>"}). Point checkpointLocation at a new directory.`);
}

/** <checkpoint>/sources/<i>/0 as written (`v1` then the offset JSON), or undefined when it is not there (reads only). */
export async function readSourceStart(checkpoint: Checkpoint, i: number): Promise<unknown> {
  const bytes = await checkpoint.storage.read(checkpoint.sourceStartPath(i));
  return bytes ? JSON.parse(dec.decode(bytes).split('\n')[1] ?? 'null') : undefined;
}

/** <checkpoint>/sources/<i>/0: a source's resolved starting offsets, fixed at the first run. */
export async function loadOrCreateSourceStart(checkpoint: Checkpoint, i: number, resolve: () => Promise<unknown>): Promise<unknown> {
  const existing = await readSourceStart(checkpoint, i);
  if (existing !== undefined) return existing;
  await checkpoint.storage.create(checkpoint.sourceStartPath(i), enc.encode(`v1\n${JSON.stringify(await resolve())}`));
  return readSourceStart(checkpoint, i);
}
