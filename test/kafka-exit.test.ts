// A query's end closes everything it opened (issue 11 item 6): a process that ran an availableNow or
// once query, or stopped one, exits by itself while the broker stays up. Each run is a child process
// (test/fixtures/exit-after-query.ts) that must exit with code 0 before a deadline; a child still
// alive then is killed and the test fails. The hang was a race between the fetch loops (two sockets
// for one connection), intermittent on a quiet machine: every partition count runs several times.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { SLUICE_BIN } from './support/cli.ts';
import { tmpDir } from './support/tmp.ts';
import { childCommand } from './support/child-bundles.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = 'test/fixtures/exit-after-query.ts';
/** Generous: a child's start alone takes seconds on a busy 2-core machine. The query itself takes well under one. */
const DEADLINE_MS = 40_000;
const REPEATS = Number(process.env.SLUICE_EXIT_REPEATS ?? 3);
const RECORDS = 400;

interface ChildExit { code: number | null; signal: NodeJS.Signals | null; killed: boolean; stdout: string; stderr: string; ms: number }

function runChild(args: string[]): Promise<ChildExit> {
  const t0 = Date.now();
  const child = spawn(process.execPath, childCommand([FIXTURE, ...args]), {
    cwd: ROOT, env: { ...process.env, EXIT_DEBUG: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '', killed = false;
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, DEADLINE_MS);
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, killed, stdout, stderr, ms: Date.now() - t0 });
  }));
}

let broker: TestBroker;
const topics = new Map<number, string>();
beforeAll(async () => {
  broker = await startBroker();
  for (const n of [1, 2, 4, 8]) {
    const t = uniqueTopic(`exit-${n}`);
    await broker.createTopic(t, n);
    await produce(broker.bootstrap, t, Array.from({ length: RECORDS }, (_, i) => ({ value: `v${i}`, partition: i % n })));
    topics.set(n, t);
  }
});
afterAll(async () => { await broker?.stop(); });

/** Runs the child and checks it exited by itself, with code 0, having read every record. */
async function expectExits(partitions: number, mode: 'availableNow' | 'once' | 'stop'): Promise<void> {
  const r = await runChild([broker.bootstrap, topics.get(partitions)!, String(RECORDS), mode]);
  const what = `${mode} on ${partitions} partition(s): ${r.killed ? `still running after ${DEADLINE_MS} ms, killed` : `exit ${r.code ?? r.signal} after ${r.ms} ms`}\n${r.stderr}`;
  expect(r.killed, what).toBe(false);
  expect(r.code, what).toBe(0);
  expect(JSON.parse(r.stdout.trim())).toEqual({ rows: RECORDS });
}

describe('a process whose Kafka query ended exits by itself (broker left running)', () => {
  for (const n of [1, 2, 4, 8]) {
    it(`availableNow, ${n} partition(s), ${REPEATS} times`, async () => {
      for (let i = 0; i < REPEATS; i++) await expectExits(n, 'availableNow');
    }, DEADLINE_MS * REPEATS + 10_000);
  }

  it('once, 4 partitions', async () => { await expectExits(4, 'once'); }, DEADLINE_MS + 10_000);

  it('after query.stop() of a running query, 8 partitions', async () => { await expectExits(8, 'stop'); }, DEADLINE_MS + 10_000);
  it('after query.stop() with a backlog left, while the next batch is read ahead (runtime/prefetch.ts)', async () => {
    const r = await runChild([broker.bootstrap, topics.get(4)!, '100', 'stopMidway', JSON.stringify({ maxOffsetsPerTrigger: '40' })]);
    const what = `stopMidway: ${r.killed ? `still running after ${DEADLINE_MS} ms, killed` : `exit ${r.code ?? r.signal} after ${r.ms} ms`}\n${r.stderr}`;
    expect(r.killed, what).toBe(false);
    expect(r.code, what).toBe(0);
    expect(r.stderr, what).not.toMatch(/not answering/);
    const { rows } = JSON.parse(r.stdout.trim()) as { rows: number };
    expect(rows).toBeGreaterThanOrEqual(100);
    expect(rows).toBeLessThan(RECORDS);
  }, DEADLINE_MS + 10_000);
});

// Ctrl-C under `sluice run`: the first SIGINT stops the queries after the batch in progress, and the
// process must then end by itself (exit code 130, as a shell reports a SIGINT), with the broker up.
describe('Ctrl-C under sluice run (broker left running)', () => {
  function script(partitions: number): string {
    const dir = tmpDir('exit-run');
    writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}\n');
    const file = path.join(dir, 'job.ts');
    writeFileSync(file, `import { Session } from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))};
const session = Session.builder().appName('ctrl-c').getOrCreate();
const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', ${JSON.stringify(broker.bootstrap)})
  .option('subscribe', ${JSON.stringify(topics.get(partitions)!)}).option('startingOffsets', 'earliest').load()
  .writeStream.format('memory').queryName('ctrl_c').start();
while (session.table('ctrl_c').count() < ${RECORDS}) await new Promise((r) => setTimeout(r, 20));
process.stdout.write('READ ALL\\n');
await q.awaitTermination();
`);
    return file;
  }

  for (const n of [1, 4]) {
    it(`${n} partition(s): one SIGINT, and the process exits with code 130`, async () => {
      const t0 = Date.now();
      const child = spawn(process.execPath, [SLUICE_BIN, 'run', script(n)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '', killed = false, signalled = false;
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (!signalled && stdout.includes('READ ALL')) { signalled = true; child.kill('SIGINT'); }
      });
      const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, DEADLINE_MS);
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      clearTimeout(timer);
      const what = `${killed ? `still running after ${DEADLINE_MS} ms, killed` : `exit ${code} after ${Date.now() - t0} ms`}\n${stderr}`;
      expect(signalled, what).toBe(true);
      expect(killed, what).toBe(false);
      expect(code, what).toBe(130);
      expect(stderr).toContain('sluice run: stopping the query after the batch in progress');
    }, DEADLINE_MS + 10_000);
  }
});
