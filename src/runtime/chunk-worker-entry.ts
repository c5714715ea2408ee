import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { bundleEsm, freshBundle } from '../util/esm-bundle.ts';

/**
 * The file a chunk worker thread starts from: a bundle of chunk-worker.ts, built into the package's
 * `.build/chunk-worker/` the first time a process needs it after a source changed (esbuild, ~0.2 s,
 * in esbuild's own process), or the tsx entry chunk-worker.mjs when no bundle can be had (a
 * read-only install). Through tsx a worker takes ~1.6 CPU s to load the engine, from the bundle
 * ~0.4 (src/util/esm-bundle.ts).
 */
const ENTRY = fileURLToPath(new URL('./chunk-worker.ts', import.meta.url));
const ROOT = path.resolve(path.dirname(ENTRY), '../..');
const OUT = path.join(ROOT, '.build/chunk-worker');
const TSX_ENTRY = new URL('./chunk-worker.mjs', import.meta.url);

let entry: Promise<URL> | null = null;

/**
 * Once per process: the bundle when it is fresh or can be built now, else the tsx entry (which
 * SLUICE_TEST_CHUNK_WORKER_TSX=1 asks for, for tests of that path).
 */
export function chunkWorkerEntry(): Promise<URL> {
  if (process.env.SLUICE_TEST_CHUNK_WORKER_TSX === '1') return Promise.resolve(TSX_ENTRY);
  return (entry ??= (async () => {
    const fresh = freshBundle(ENTRY, OUT);
    if (fresh) return pathToFileURL(fresh);
    try {
      await bundleEsm(ROOT, [ENTRY], OUT);
    } catch {
      return TSX_ENTRY; // the tsx entry loads the same sources, only slower
    }
    const built = freshBundle(ENTRY, OUT);
    return built ? pathToFileURL(built) : TSX_ENTRY;
  })());
}
