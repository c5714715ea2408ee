import { randomUUID } from 'node:crypto';
import type { Storage } from '../storage/index.ts';
import { joinPath } from '../storage/index.ts';
import { CheckpointError } from '../errors.ts';

const enc = new TextEncoder(), dec = new TextDecoder();

/** <checkpoint>/metadata: the query id, which stays the same across restarts. */
export async function loadOrCreateQueryId(storage: Storage, checkpoint: string): Promise<string> {
  const path = joinPath(checkpoint, 'metadata');
  const existing = await storage.read(path);
  if (existing) return parse(path, existing);
  const id = randomUUID();
  if (await storage.create(path, enc.encode(JSON.stringify({ id }) + '\n'))) return id;
  return parse(path, (await storage.read(path))!);
}

function parse(path: string, bytes: Uint8Array): string {
  try {
    const m = JSON.parse(dec.decode(bytes)) as { id?: unknown };
    if (typeof m.id === 'string') return m.id;
  } catch { /* reported below */ }
  throw new CheckpointError(`${path} is not a sluice checkpoint metadata file (expected {"id": "<uuid>"}). Point checkpointLocation at a new directory.`);
}

/** <checkpoint>/sources/<i>/0: a source's resolved starting offsets, fixed at the first run. */
export async function loadOrCreateSourceStart(storage: Storage, checkpoint: string, i: number, resolve: () => Promise<unknown>): Promise<unknown> {
  const path = joinPath(checkpoint, 'sources', String(i), '0');
  const existing = await storage.read(path);
  if (existing) return JSON.parse(dec.decode(existing).split('\n')[1] ?? 'null');
  const start = await resolve();
  await storage.create(path, enc.encode(`v1\n${JSON.stringify(start)}`));
  const again = await storage.read(path);
  return JSON.parse(dec.decode(again!).split('\n')[1] ?? 'null');
}
