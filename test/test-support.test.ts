// The shared test helpers keep a child's output whole: a multi-byte UTF-8 character that arrives
// split across two pipe chunks is decoded once, not as two U+FFFD (the bug two of the three
// copies of the CLI spawner had before they became test/support/cli.ts).
import { describe, expect, it } from 'vitest';
import { ROOT, runCommand } from './support/cli.ts';
import { runQueryChild } from './support/query-child.ts';

const TEXT = '┌ü€😀';
/** Writes TEXT to stdout and stderr in two pieces 150 ms apart, the first ending inside a character. */
const SPLIT_WRITER = `const b = Buffer.from(${JSON.stringify(TEXT)});
for (const s of [process.stdout, process.stderr]) s.write(b.subarray(0, 1));
setTimeout(() => { for (const s of [process.stdout, process.stderr]) s.write(b.subarray(1)); }, 150);`;

describe('test/support child output', () => {
  it('runCommand decodes stdout and stderr whole', async () => {
    expect(await runCommand(process.execPath, ['-e', SPLIT_WRITER])).toEqual({ code: 0, stdout: TEXT, stderr: TEXT });
  });

  it('runQueryChild decodes stderr across chunks', async () => {
    const r = await runQueryChild(ROOT, ['-e', SPLIT_WRITER], process.env, {}, 20_000);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(TEXT);
  });
});
