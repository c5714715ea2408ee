// The child-process fixtures (test/fixtures/*.ts) bundled once per test run, so a child starts as plain
// `node bundle.mjs` instead of `node --import tsx fixture.ts`. Measured on this 2-core machine
// (crash-query.ts to its usage line, which has loaded the whole src tree): tsx 3.2-3.6 CPU s a start, warm
// tsx cache or none (TSX_DISABLE_CACHE=1: 3.0-3.3 s, so its cache is not what costs); the bundle 0.7-1.1
// CPU s. Crash tests start dozens of children, so this is most of their CPU.
//
// A child must never run a stale build: the manifest names every source file each bundle was built from
// and when the build started, and childCommand falls back to tsx when one of them changed since.
import { build, type Plugin } from 'esbuild';
import { promises as fs, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './cli.ts';

const FIXTURES = path.join(ROOT, 'test/fixtures');
const OUT = path.join(ROOT, '.build/children');
const manifestOf = (out: string): string => path.join(out, 'manifest.json');

interface Manifest {
  /** Date.now() before esbuild read the first source: a source modified after it may be missing from the bundle. */
  builtAt: number;
  /** Fixture path (absolute) -> its bundle and the sources (absolute) it holds. */
  entries: Record<string, { bundle: string; inputs: string[] }>;
}

/**
 * A bundle's import.meta.url would be the bundle's own; a source that finds a file next to itself
 * (src/ui/ui-server.ts reads page.html) or requires from its own place keeps its own URL, as under tsx.
 */
const ownImportMetaUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await fs.readFile(args.path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

/** Bundle every `fixtures`/*.ts into `out` (shared code in chunks) and write the manifest. */
export async function bundleChildren(fixtures = FIXTURES, out = OUT): Promise<void> {
  const builtAt = Date.now();
  const entryPoints = (await fs.readdir(fixtures)).filter((n) => n.endsWith('.ts')).map((n) => path.join(fixtures, n));
  const r = await build({
    entryPoints, outdir: out, absWorkingDir: ROOT, bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
    packages: 'external', outExtension: { '.js': '.mjs' }, metafile: true, write: false, logLevel: 'warning',
    plugins: [ownImportMetaUrl],
  });
  await fs.mkdir(out, { recursive: true });
  // Another vitest run in this worktree may be starting children from these files: write each under a
  // temporary name and rename it into place, so a reader sees the old file or the new one, whole.
  for (const f of r.outputFiles) {
    const tmp = `${f.path}.${process.pid}.tmp`;
    await fs.writeFile(tmp, f.contents);
    await fs.rename(tmp, f.path);
  }
  const entries: Manifest['entries'] = {};
  for (const [file, meta] of Object.entries(r.metafile.outputs)) {
    if (!meta.entryPoint) continue;
    const inputs = new Set<string>();
    const visit = (o: string): void => {
      for (const i of Object.keys(r.metafile.outputs[o]!.inputs)) inputs.add(path.resolve(ROOT, i));
      for (const imp of r.metafile.outputs[o]!.imports) if (!imp.external) visit(imp.path);
    };
    visit(file);
    entries[path.resolve(ROOT, meta.entryPoint)] = { bundle: path.resolve(ROOT, file), inputs: [...inputs] };
  }
  const tmp = `${manifestOf(out)}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify({ builtAt, entries } satisfies Manifest));
  await fs.rename(tmp, manifestOf(out));
  // Chunk names hash their content, so each change to src leaves the old chunks behind; an hour on, no
  // child of an earlier run still loads them.
  const current = new Set(r.outputFiles.map((f) => path.basename(f.path)));
  for (const n of await fs.readdir(out)) {
    if (!n.startsWith('chunk-') || current.has(n)) continue;
    const file = path.join(out, n);
    if ((await fs.stat(file)).mtimeMs < builtAt - 3_600_000) await fs.rm(file, { force: true });
  }
}

function freshBundle(fixture: string, out: string): string | undefined {
  let m: Manifest;
  try { m = JSON.parse(readFileSync(manifestOf(out), 'utf8')) as Manifest; } catch { return undefined; }
  const e = m.entries[path.resolve(ROOT, fixture)];
  if (!e) return undefined;
  try {
    if (e.inputs.some((i) => statSync(i).mtimeMs >= m.builtAt)) return undefined;
    statSync(e.bundle);
  } catch { return undefined; }
  return e.bundle;
}

/**
 * Node's arguments for a child running `args` (a script and its arguments, as for `node --import tsx`):
 * the script's fresh bundle when there is one, else the script under tsx. SLUICE_TEST_TSX_CHILDREN=1
 * always takes tsx.
 */
export function childCommand(args: readonly string[], out = OUT): string[] {
  const bundle = args[0] !== undefined && process.env.SLUICE_TEST_TSX_CHILDREN !== '1' ? freshBundle(args[0], out) : undefined;
  return bundle ? [bundle, ...args.slice(1)] : ['--import', 'tsx', ...args];
}
