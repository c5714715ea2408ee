import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from './support/tmp.ts';

// A worktree whose node_modules links to another checkout's: when the lock looks newer, `npm ci`
// would empty the other checkout's packages through the link. scripts/setup.mjs refuses instead.
describe('scripts/setup.mjs with a linked node_modules', () => {
  it('stops with an error naming the link, and leaves the linked packages alone', () => {
    const dir = tmpDir('setup-link');
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(new URL('../scripts/setup.mjs', import.meta.url), join(dir, 'scripts/setup.mjs'));
    writeFileSync(join(dir, 'package.json'), '{"name":"x","version":"0.0.0"}\n');
    writeFileSync(join(dir, 'package-lock.json'), '{"name":"x","lockfileVersion":3,"packages":{}}\n');
    const owner = join(dir, 'owner');
    mkdirSync(owner);
    writeFileSync(join(owner, 'kept'), 'a package of the other checkout');
    writeFileSync(join(owner, '.package-lock.json'), '{}');
    // The lock is newer than the linked install: the case that ran npm ci.
    utimesSync(join(owner, '.package-lock.json'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    symlinkSync(owner, join(dir, 'node_modules'));
    const r = spawnSync(process.execPath, [join(dir, 'scripts/setup.mjs')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${join(dir, 'node_modules')} is a link to ${owner}`);
    expect(r.stderr).toContain('is older than package-lock.json');
    expect(existsSync(join(owner, 'kept'))).toBe(true);
  });
});
