// `sluice run <script.ts>` (bin/sluice.mjs) on the orders example against the project's broker:
// under a pseudo-terminal (util-linux `script`) the status line updates batch by batch without
// garbling the script's own output; piped, stdout carries one JSON progress record per batch;
// and the ways a run goes wrong end with exit code 1 and a message saying what to do.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StreamingQueryProgress } from '../src/runtime/progress.ts';
import { ROOT, SLUICE_BIN, runCommand, runSluice } from './support/cli.ts';
import { tmpDir } from './support/tmp.ts';

/** A directory for scripts, as a user's project: ES modules. */
function scriptDir(name: string): string {
  const dir = tmpDir(`run-${name}`);
  writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}\n');
  return dir;
}
const SLUICE = JSON.stringify(path.join(ROOT, 'src/index.ts'));

const sluice = (...args: string[]) => runSluice(args);

/** The example's own flags, writing to fresh temporary directories. */
function exampleArgs(events: number, perTrigger: number): string[] {
  const dir = tmpDir('run-example');
  return ['--events', String(events), '--max-offsets-per-trigger', String(perTrigger), '--checkpoint', path.join(dir, 'cp'), '--output', path.join(dir, 'out')];
}

/**
 * What a terminal shows after these bytes: enough of one to hold sluice to what it promises
 * (carriage return, line feed, erase line, cursor up; colours are dropped).
 */
function screen(bytes: string): string[] {
  const lines: string[][] = [[]];
  let row = 0, col = 0;
  for (let i = 0; i < bytes.length; i++) {
    const ch = bytes[i]!;
    if (ch === '\x1b') {
      const m = /^\x1b\[(\d*)([A-Za-z])/.exec(bytes.slice(i, i + 12));
      if (!m) throw new Error(`unexpected escape at ${i}: ${JSON.stringify(bytes.slice(i, i + 12))}`);
      if (m[2] === 'K') lines[row] = [];
      else if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || 1));
      else if (m[2] !== 'm') throw new Error(`unexpected escape ${JSON.stringify(m[0])}`);
      i += m[0].length - 1;
    } else if (ch === '\r') col = 0;
    else if (ch === '\n') { row += 1; lines[row] ??= []; }
    else { const line = lines[row]!; while (line.length < col) line.push(' '); line[col++] = ch; }
  }
  return lines.map((l) => l.join('').trimEnd());
}

describe('sluice run', () => {
  it('draws a live status line on a terminal and keeps the script output intact', async () => {
    const cmd = ['stty cols 200 rows 50;', 'exec', process.execPath, SLUICE_BIN, 'run', 'examples/orders-spark.ts', '--', ...exampleArgs(100_000, 5000)]
      .map((a, i) => (i < 2 ? a : `'${a}'`)).join(' ');
    const r = await runCommand('script', ['-qfec', cmd, '/dev/null']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const raw = r.stdout;

    // Every redraw starts by erasing the previous frame; the frames show the batches going by in order.
    const frames = raw.split(/\r\x1b\[2K(?:\x1b\[1A\x1b\[2K)*/).slice(1);
    const ids = frames.map((f) => /batch (\d+)/.exec(f)).filter((m) => m !== null).map((m) => Number(m[1]));
    expect(new Set(ids).size).toBeGreaterThanOrEqual(10);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids[0]).toBe(0);
    expect(raw).toMatch(/wm \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    expect(raw).toMatch(/state [\d,]+ rows/);
    expect(raw).toMatch(/lag orders=[\d,]+/);
    expect(raw).toMatch(/in [\d,]+ rows\/s {2}proc [\d,]+ rows\/s/);
    expect(raw).toMatch(/\] \d+% [\d,]+\/100,000 offsets {2}eta (<1s|\d)/);

    // What is left on the terminal: the query's last status and closing line, the script's
    // output untouched (no status text inside it), the summary; no live line left behind.
    const shown = screen(raw).filter((l) => l !== '');
    const table = shown.filter((l) => /^[┌│├└]/.test(l));
    expect(table.length).toBeGreaterThan(10);
    expect(new Set(table.map((l) => l.length)).size).toBe(1);
    expect(shown.findIndex((l) => l.startsWith('┌')) + table.length - 1).toBe(shown.findIndex((l) => l.startsWith('└')));
    expect(shown).toContain('  [####################] 100% 100,000/100,000 offsets');
    const done = shown.findIndex((l) => /^streaming-orders {2}done: \d+ batches, 100,000 rows in /.test(l));
    expect(done).toBeGreaterThan(0);
    expect(shown[done - 2]).toMatch(/^streaming-orders {2}batch \d+ /);
    expect(shown[done + 1]).toMatch(/^\d+ batches; watermark now /);
    expect(shown.at(-1)).toMatch(/^sluice run: done: 1 query, \d+ batches, 100,000 rows in /);
    expect(shown.filter((l) => /^streaming-orders {2}batch /.test(l))).toHaveLength(1);
  });

  it('prints one JSON progress record per batch when piped', async () => {
    const r = await sluice('run', 'examples/orders-spark.ts', '--', ...exampleArgs(20_000, 3000));
    expect(r.code, r.stderr).toBe(0);
    const records = r.stdout.split('\n').flatMap((l) => {
      try { return [JSON.parse(l) as StreamingQueryProgress]; } catch { return []; }
    });
    expect(records.map((p) => p.batchId)).toEqual(records.map((_, i) => i));
    expect(records.length).toBeGreaterThanOrEqual(7);
    expect(records.reduce((a, p) => a + p.numInputRows, 0)).toBe(20_000);
    expect(records.at(-2)!.sources[0]!.endOffset).toEqual(records.at(-2)!.sources[0]!.targetOffset);
    // The script's own output is still there, and no terminal control codes.
    expect(r.stdout).toMatch(/\d+ batches; watermark now /);
    expect(r.stdout).not.toContain('\x1b[2K');
    expect(r.stderr).toMatch(/streaming-orders {2}done: \d+ batches, 20,000 rows/);
    expect(r.stderr).toMatch(/sluice run: done: 1 query/);
  });

  it('passes arguments after -- to the script and --ui to the session conf', async () => {
    const dir = scriptDir('args');
    const script = path.join(dir, 'show.ts');
    writeFileSync(script, `import { Session } from ${SLUICE};
const s = Session.builder().appName('show').getOrCreate();
console.log(JSON.stringify({ argv: process.argv.slice(2), ui: s.conf.get('sluice.ui.port') ?? null }));\n`);
    const r = await sluice('run', '--ui', '4040', '--log-format', 'text', script, '--', '--ui', 'x', 'y');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.split('\n')[0]!)).toEqual({ argv: ['--ui', 'x', 'y'], ui: '4040' });
    expect(r.stdout).toMatch(/sluice run: done: 0 queries, 0 batches/);
  });

  it('fails with exit code 1 and a clear message', async () => {
    const dir = scriptDir('errors');
    const cjs = path.join(tmpDir('run-cjs'), 'top-level-await.ts');
    writeFileSync(cjs, `import { Session } from ${SLUICE};\nawait Promise.resolve(Session);\n`);
    const throws = path.join(dir, 'throws.ts');
    writeFileSync(throws, `throw new Error('boom from the script');\n`);
    const failing = path.join(dir, 'failing.ts');
    writeFileSync(failing, `import { Session, MemoryStream, types as T } from ${SLUICE};
const session = Session.builder().appName('failing').getOrCreate();
const input = new MemoryStream(session, T.struct({ n: T.long }));
input.addData([{ n: 1n }]);
// Started and not awaited: sluice run waits for it, and reports how it ended.
await input.toDF().writeStream.queryName('exploder').option('checkpointLocation', ${JSON.stringify(path.join(dir, 'cp'))})
  .foreachBatch(() => { throw new Error('boom in batch'); }).start();\n`);

    const [missing, port, thrown, failed, stray, commonJs] = await Promise.all([
      sluice('run', 'examples/no-such-script.ts'),
      sluice('run', '--ui', '70000', 'examples/orders-spark.ts'),
      sluice('run', throws),
      sluice('run', failing),
      sluice('run', 'examples/orders-spark.ts', '--events', '10'),
      sluice('run', cjs),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`sluice: No script file at ${path.join(ROOT, 'examples/no-such-script.ts')}`);
    expect(port.code).toBe(1);
    expect(port.stderr).toContain("sluice: --ui takes a port number from 0 to 65535 (0 picks a free one), got '70000'.");
    expect(thrown.code).toBe(1);
    expect(thrown.stderr).toContain('boom from the script');
    expect(thrown.stderr).not.toContain('sluice run:');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/sluice: query 'exploder' failed: .*boom in batch/);
    expect(failed.stderr).toMatch(/exploder {2}failed after 0 batches/);
    expect(stray.code).toBe(1);
    expect(stray.stderr).toContain('Arguments for the script go after `--`');
    expect(commonJs.code).toBe(1);
    expect(commonJs.stderr).toContain(`sluice: ${cjs} is loaded as CommonJS, where top-level await and importing sluice do not work: add "type": "module"`);
  });
});
