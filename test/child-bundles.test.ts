// test/support/child-bundles.ts: a child runs its fixture's bundle only while every source in it is
// unchanged, then the fixture itself under tsx; a bundled source keeps its own import.meta.url.
import { spawnSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleChildren, childCommand } from './support/child-bundles.ts';
import { ROOT } from './support/cli.ts';
import { tmpDir } from './support/tmp.ts';

function run(args: string[]): unknown {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('child bundles', () => {
  it('runs the bundle while its sources are unchanged, the fixture under tsx once one changed', async () => {
    const dir = tmpDir('child-bundles');
    const fixtures = path.join(dir, 'fixtures'), out = path.join(dir, 'out'), lib = path.join(dir, 'lib', 'word.ts');
    mkdirSync(fixtures);
    mkdirSync(path.dirname(lib));
    writeFileSync(lib, "export const word: string = 'one';\nexport const here: string = import.meta.url;\n");
    const fixture = path.join(fixtures, 'say.ts');
    writeFileSync(fixture, "import { here, word } from '../lib/word.ts';\nprocess.stdout.write(JSON.stringify({ word, here }));\n");
    // Written before the build, a clock's tick or more: a source stamped in the build's own millisecond
    // counts as changed after it (never run a stale build), and the check then rightly takes tsx.
    const earlier = new Date(Date.now() - 2000);
    for (const f of [lib, fixture]) utimesSync(f, earlier, earlier);
    await bundleChildren(fixtures, out);

    const bundled = childCommand([fixture, 'x'], out);
    expect(bundled).toEqual([path.join(out, 'say.mjs'), 'x']);
    expect(run(bundled)).toEqual({ word: 'one', here: pathToFileURL(lib).href });

    writeFileSync(lib, "export const word: string = 'two';\nexport const here: string = import.meta.url;\n");
    // A clock's tick after the build, whatever the file system's timestamp resolution.
    const later = new Date(Date.now() + 2000);
    utimesSync(lib, later, later);
    const fallback = childCommand([fixture, 'x'], out);
    expect(fallback).toEqual(['--import', 'tsx', fixture, 'x']);
    expect(run(fallback)).toEqual({ word: 'two', here: pathToFileURL(lib).href });
  }, 120_000);
});
