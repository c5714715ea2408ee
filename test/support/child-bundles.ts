// The child-process fixtures (test/fixtures/*.ts) bundled once per test run, so a child starts as plain
// `node bundle.mjs` instead of `node --import tsx fixture.ts`. Measured on this 2-core machine
// (crash-query.ts to its usage line, which has loaded the whole src tree): tsx 3.2-3.6 CPU s a start, warm
// tsx cache or none (TSX_DISABLE_CACHE=1: 3.0-3.3 s, so its cache is not what costs); the bundle 0.7-1.1
// CPU s. Crash tests start dozens of children, so this is most of their CPU.
//
// A child must never run a stale build (src/util/esm-bundle.ts): childCommand falls back to tsx when a
// source of the bundle changed since it was built.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { bundleEsm, freshBundle } from '../../src/util/esm-bundle.ts';
import { ROOT } from './cli.ts';

const FIXTURES = path.join(ROOT, 'test/fixtures');
const OUT = path.join(ROOT, '.build/children');

/** Bundle every `fixtures`/*.ts into `out` (shared code in chunks) and write the manifest. */
export async function bundleChildren(fixtures = FIXTURES, out = OUT): Promise<void> {
  const entryPoints = (await fs.readdir(fixtures)).filter((n) => n.endsWith('.ts')).map((n) => path.join(fixtures, n));
  const { builtAt, files } = await bundleEsm(ROOT, entryPoints, out, true);
  // Chunk names hash their content, so each change to src leaves the old chunks behind; an hour on, no
  // child of an earlier run still loads them.
  const current = new Set(files.map((f) => path.basename(f)));
  for (const n of await fs.readdir(out)) {
    if (!n.startsWith('chunk-') || current.has(n)) continue;
    const file = path.join(out, n);
    if ((await fs.stat(file)).mtimeMs < builtAt - 3_600_000) await fs.rm(file, { force: true });
  }
}

/**
 * Node's arguments for a child running `args` (a script and its arguments, as for `node --import tsx`):
 * the script's fresh bundle when there is one, else the script under tsx. SLUICE_TEST_TSX_CHILDREN=1
 * always takes tsx.
 */
export function childCommand(args: readonly string[], out = OUT): string[] {
  const bundle = args[0] !== undefined && process.env.SLUICE_TEST_TSX_CHILDREN !== '1' ? freshBundle(path.resolve(ROOT, args[0]), out) : undefined;
  return bundle ? [bundle, ...args.slice(1)] : ['--import', 'tsx', ...args];
}
