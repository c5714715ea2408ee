// trigger({ cron }) (issue 13, scheduled triggers): each tick drains what is available then, as
// availableNow does; between ticks query.status says 'Waiting for next trigger' and progress carries
// nextTriggerTime; ticks missed while the process was down run once at start (a real child process,
// SIGKILLed and restarted); bad expressions and zones fail at trigger() naming them.
import { existsSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStream, OptionError, Session, types as T, type TriggerSpec } from '../src/index.ts';
import { CronSchedule } from '../src/runtime/cron-schedule.ts';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { ROOT, runSluice } from './support/cli.ts';
import { runQueryChild } from './support/query-child.ts';
import { tmpDir } from './support/tmp.ts';
import { duckQuery } from './support/duck.ts';

const session = Session.builder().appName('cron-trigger-test').getOrCreate();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}
const writer = () => session.readStream.format('rate').load().writeStream.format('memory').queryName('cron_unused');

describe('cron expressions', () => {
  it('gives the next and previous tick in UTC, or in the zone asked', () => {
    const at = Date.parse('2026-12-01T08:07:30Z');
    const every15 = new CronSchedule('*/15 * * * *');
    expect(new Date(every15.next(at)!).toISOString()).toBe('2026-12-01T08:15:00.000Z');
    expect(new Date(every15.previous(at)!).toISOString()).toBe('2026-12-01T08:00:00.000Z');
    // A tick exactly now is the previous one, not the next.
    expect(every15.previous(Date.parse('2026-12-01T08:15:00Z'))).toBe(Date.parse('2026-12-01T08:15:00Z'));
    expect(every15.next(Date.parse('2026-12-01T08:15:00Z'))).toBe(Date.parse('2026-12-01T08:30:00Z'));
    // 02:00 in Paris is 01:00 UTC in winter (CET) and 00:00 UTC in summer (CEST).
    const paris = new CronSchedule('0 2 * * *', 'Europe/Paris');
    expect(new Date(paris.next(at)!).toISOString()).toBe('2026-12-02T01:00:00.000Z');
    expect(new Date(paris.next(Date.parse('2026-07-01T12:00:00Z'))!).toISOString()).toBe('2026-07-02T00:00:00.000Z');
    // Six fields: seconds first.
    expect(new CronSchedule('* * * * * *').next(at)).toBe(at + 1000);
  });

  it('rejects a bad expression or zone at trigger(), naming it and giving an example', () => {
    const bad = (spec: TriggerSpec): OptionError => {
      try { writer().trigger(spec); } catch (e) { return e as OptionError; }
      throw new Error(`trigger(${JSON.stringify(spec)}) did not throw`);
    };
    const e1 = bad({ cron: 'every 15 minutes' });
    expect(e1).toBeInstanceOf(OptionError);
    expect(e1.message).toMatch(/trigger cron 'every 15 minutes' is not a valid cron expression/);
    expect(e1.message).toContain("'*/15 * * * *'");
    expect(bad({ cron: '61 * * * *' }).message).toMatch(/'61 \* \* \* \*'.*minute/);
    expect(bad({ cron: '' }).message).toMatch(/needs a cron expression.*e\.g\./);
    const e2 = bad({ cron: '0 2 * * *', cronTimeZone: 'Europe/Pari' });
    expect(e2).toBeInstanceOf(OptionError);
    expect(e2.message).toMatch(/cronTimeZone 'Europe\/Pari' is not an IANA time zone/);
    expect(bad({ cron: '* * * * *', processingTime: '1 second' } as never).message).toMatch(/takes only cron and cronTimeZone, got processingTime/);
  });
});

describe('trigger({ cron }) on Kafka', () => {
  let broker: TestBroker;
  beforeAll(async () => { broker = await startBroker(); }, 60_000);
  afterAll(async () => { await broker?.stop(); });

  it('drains what is available at each tick, then waits for the next with nextTriggerTime', async () => {
    const topic = uniqueTopic('cron');
    await broker.createTopic(topic, 1);
    await produce(broker.bootstrap, topic, Array.from({ length: 10 }, (_, i) => ({ value: `a${i}` })));
    const q = await session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic)
      .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', 4).load().selectExpr('CAST(value AS STRING) AS value')
      .writeStream.format('memory').queryName('cron_ticks').option('checkpointLocation', tmpDir('cron-cp'))
      .trigger({ cron: '* * * * * *' }).start();
    try {
      // The first tick's drain: 10 records in batches of at most 4, as availableNow would.
      await until(() => q.recentProgress.reduce((a, p) => a + p.numInputRows, 0) === 10, 60_000, 'the first drain');
      const first = [...q.recentProgress];
      expect(first.map((p) => p.numInputRows)).toEqual([4, 4, 2]);
      // One drain, one next tick: the whole second after the tick that started it (within generous bounds of the batch's start).
      expect(new Set(first.map((p) => p.nextTriggerTime)).size).toBe(1);
      const next = first[0]!.nextTriggerTime!;
      expect(next).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      expect(Math.abs(Date.parse(next) - Date.parse(first[0]!.timestamp))).toBeLessThan(60_000);
      expect(Date.parse(next)).toBeLessThanOrEqual(Date.parse(first[0]!.timestamp) + 1000);
      // Spark's progress fields are all there, unchanged.
      expect(Object.keys(first[0]!)).toEqual(expect.arrayContaining(['id', 'runId', 'batchId', 'numInputRows', 'durationMs', 'sources', 'sink']));
      await until(() => q.status.message === 'Waiting for next trigger', 30_000, 'waiting between ticks');
      expect(q.status.isTriggerActive).toBe(false);
      expect(q.nextTriggerTime).toMatch(/^\d{4}-.*\.000Z$/);
      expect(session.table('cron_ticks').collect()).toHaveLength(10);

      // A later tick takes what arrived since.
      await produce(broker.bootstrap, topic, Array.from({ length: 3 }, (_, i) => ({ value: `b${i}` })));
      await until(() => q.recentProgress.reduce((a, p) => a + p.numInputRows, 0) === 13, 60_000, 'the next drain');
      expect(q.recentProgress.at(-1)!.numInputRows).toBe(3);
      expect(q.recentProgress.at(-1)!.batchId).toBe(3);
      expect(session.table('cron_ticks').collect().map((r) => r.value).sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `a${i}`), 'b0', 'b1', 'b2'].sort());
    } finally {
      await q.stop();
    }
    expect(q.nextTriggerTime).toBeNull();
  }, 120_000);

  it('a query without trigger() takes a cron trigger from session conf sluice.trigger.cron', async () => {
    const topic = uniqueTopic('cron-conf');
    await broker.createTopic(topic, 1);
    await produce(broker.bootstrap, topic, [{ value: 'x' }]);
    const s = Session.builder().appName('cron-conf').config('sluice.trigger.cron', '* * * * * *').getOrCreate();
    const q = await s.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic)
      .option('startingOffsets', 'earliest').load().writeStream.format('memory').queryName('cron_conf').option('checkpointLocation', tmpDir('cron-conf')).start();
    try {
      await until(() => q.recentProgress.length > 0, 60_000, 'a tick');
      expect(q.recentProgress[0]!.nextTriggerTime).toMatch(/\.000Z$/);
    } finally {
      await q.stop();
    }
  }, 120_000);

  interface Line { type: 'batch' | 'idle'; batchId?: number; numInputRows?: number; nextTriggerTime?: string | null; status?: string }

  /** A yearly cron expression (UTC) that fires at the whole second of atMs. */
  const yearlyAt = (atMs: number): string => {
    const d = new Date(atMs);
    return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
  };

  it('runs ticks missed while the process was down once at start, and only then', async () => {
    const topic = uniqueTopic('cron-missed');
    await broker.createTopic(topic, 1);
    await produce(broker.bootstrap, topic, Array.from({ length: 6 }, (_, i) => ({ value: `a${i}` })));
    const dir = tmpDir('cron-missed'), cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
    const child = (cron: string, killOn: (l: Line, all: Line[]) => boolean) => {
      let kill = (): void => {};
      const seen: Line[] = [];
      return runQueryChild<Line>(ROOT, ['test/fixtures/cron-query.ts', broker.bootstrap, topic, cp, out, cron], process.env,
        { onSpawn: (c) => { kill = c.kill; } }, 90_000, (l) => { seen.push(l); if (killOn(l, seen)) setTimeout(() => kill(), 500); });
    };

    // Run 1, every second: the first tick drains the 6 records; SIGKILL once it waits again.
    const beforeRun1 = Date.now();
    const r1 = await child('* * * * * *', (l, all) => l.type === 'idle' && all.some((x) => x.type === 'batch'));
    expect(r1.signal, r1.stderr).toBe('SIGKILL');
    expect(r1.progress.filter((l) => l.type === 'batch').map((l) => l.numInputRows)).toEqual([6]);
    const run1Ended = Date.now();
    await produce(broker.bootstrap, topic, Array.from({ length: 4 }, (_, i) => ({ value: `b${i}` })));

    // Run 2: the schedule's last tick came before run 1's commit: nothing was missed, so no drain
    // at start; it waits for the tick a year on, and the 4 new records wait with it.
    const tickBefore = Math.floor(beforeRun1 / 1000) * 1000 - 1000;
    const r2 = await child(yearlyAt(tickBefore), (l) => l.type === 'idle');
    expect(r2.signal, r2.stderr).toBe('SIGKILL');
    expect(r2.progress.filter((l) => l.type === 'batch')).toEqual([]);
    const idle2 = r2.progress.find((l) => l.type === 'idle')!;
    expect(idle2.status).toBe('Waiting for next trigger');
    expect(new Date(Date.parse(idle2.nextTriggerTime!)).getUTCFullYear()).toBe(new Date(tickBefore).getUTCFullYear() + 1);

    // Run 3: a tick fell while no process ran (after run 1's commit): one drain at start takes the
    // 4 records, then it waits a year, however many ticks an every-second schedule would have missed.
    const missedTick = Math.ceil(run1Ended / 1000) * 1000;
    while (Date.now() < missedTick + 200) await sleep(50);
    const r3 = await child(yearlyAt(missedTick), (l, all) => l.type === 'idle' && all.some((x) => x.type === 'batch'));
    expect(r3.signal, r3.stderr).toBe('SIGKILL');
    const batches3 = r3.progress.filter((l) => l.type === 'batch');
    expect(batches3.map((l) => [l.batchId, l.numInputRows])).toEqual([[1, 4]]);
    const nextYear = new Date(missedTick).getUTCFullYear() + 1;
    expect(new Date(Date.parse(batches3[0]!.nextTriggerTime!)).getUTCFullYear()).toBe(nextYear);
    expect(new Date(Date.parse(r3.progress.at(-1)!.nextTriggerTime!)).getUTCFullYear()).toBe(nextYear);
  }, 300_000);

  it('finishes at start a tick\'s drain that a crash cut short, then drains once; every row once in the Parquet output', async () => {
    const topic = uniqueTopic('cron-crash');
    await broker.createTopic(topic, 1);
    await produce(broker.bootstrap, topic, Array.from({ length: 6 }, (_, i) => ({ value: `a${i}` })));
    const dir = tmpDir('cron-crash'), cp = path.join(dir, 'cp'), out = path.join(dir, 'out');
    const args = (cron: string) => ['test/fixtures/cron-query.ts', broker.bootstrap, topic, cp, out, cron];
    const beforeRun1 = Date.now();
    // Run 1 dies inside its first tick's batch: the output is written, the commit is not.
    const r1 = await runQueryChild<Line>(ROOT, args('* * * * * *'), process.env, { crashAt: 'beforeCommit:0' }, 90_000);
    expect(r1.signal, r1.stderr).toBe('SIGKILL');
    expect(r1.progress.filter((l) => l.type === 'batch')).toEqual([]);
    await produce(broker.bootstrap, topic, Array.from({ length: 4 }, (_, i) => ({ value: `b${i}` })));

    // Run 2's schedule had no tick since run 1 began, yet the cut drain is finished at once: batch 0
    // again with its logged range, then one drain for what came since.
    let kill = (): void => {};
    const r2 = await runQueryChild<Line>(ROOT, args(yearlyAt(Math.floor(beforeRun1 / 1000) * 1000 - 1000)), process.env,
      { onSpawn: (c) => { kill = c.kill; } }, 90_000, (l) => { if (l.type === 'idle' && l.nextTriggerTime?.startsWith(String(new Date().getUTCFullYear() + 1))) setTimeout(() => kill(), 500); });
    expect(r2.signal, r2.stderr).toBe('SIGKILL');
    expect(r2.progress.filter((l) => l.type === 'batch').map((l) => [l.batchId, l.numInputRows])).toEqual([[0, 6], [1, 4]]);
    const [r] = await duckQuery(`SELECT count(*)::INT AS n, count(DISTINCT value)::INT AS d FROM read_parquet('${out}/*.parquet')`);
    expect(r).toEqual({ n: 10, d: 10 });
  }, 300_000);
});



describe('sluice run --cron', () => {
  it('gives the script\'s queries without trigger() the cron trigger; the status line and records show the next tick', async () => {
    const dir = tmpDir('run-cron');
    writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}\n');
    const script = path.join(dir, 'ticks.ts');
    writeFileSync(script, `import { Session, MemoryStream, types as T } from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))};
const session = Session.builder().appName('ticks').getOrCreate();
const input = new MemoryStream(session, T.struct({ n: T.long }));
input.addData([{ n: 1n }, { n: 2n }, { n: 3n }]);
const q = await input.toDF().writeStream.format('memory').queryName('ticks').option('checkpointLocation', process.argv[2]!).start();
const until = async (cond: () => boolean) => { while (!cond()) await new Promise((r) => setTimeout(r, 50)); };
await until(() => q.recentProgress.length === 1 && q.status.message === 'Waiting for next trigger');
console.error(JSON.stringify({ status: q.status.message, next: q.nextTriggerTime, cron: session.conf.get('sluice.trigger.cron') }));
input.addData([{ n: 4n }, { n: 5n }]);
await until(() => q.recentProgress.length === 2);
await q.stop();\n`);
    const [json, text, bad] = await Promise.all([
      runSluice(['run', '--cron', '* * * * * *', script, '--', path.join(dir, 'cp-json')]),
      runSluice(['run', '--cron', '* * * * * *', '--log-format', 'text', script, '--', path.join(dir, 'cp-text')]),
      runSluice(['run', '--cron', '*/15 * * *', script]),
    ]);
    expect(json.code, json.stderr).toBe(0);
    const records = json.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { numInputRows: number; nextTriggerTime?: string });
    expect(records.map((p) => p.numInputRows)).toEqual([3, 2]);
    for (const p of records) expect(p.nextTriggerTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    const seen = JSON.parse(json.stderr.split('\n').find((l) => l.startsWith('{'))!) as { status: string; next: string; cron: string };
    expect(seen).toMatchObject({ status: 'Waiting for next trigger', cron: '* * * * * *' });
    expect(seen.next).toMatch(/\.000Z$/);

    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/ticks {2}batch 0 {2}next tick \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    expect(text.stdout).toMatch(/ticks {2}batch 1 {2}next tick /);

    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--cron: trigger cron '\*\/15 \* \* \*' is not a valid cron expression/);
    expect(bad.stderr).toContain("'*/15 * * * *'");
  }, 180_000);
});

const CHROMIUM = '/usr/bin/chromium';
describe.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')('the web UI', () => {
  it('shows a cron query\'s next tick in its header and in /api/queries', async () => {
    const input = new MemoryStream(session, T.struct({ n: T.long }));
    input.addData([{ n: 1n }]);
    // Once a year, on 1 January: the tick shown cannot move while the page is read.
    const q = await input.toDF().writeStream.format('memory').queryName('cron_ui').option('ui.port', 0).trigger({ cron: '0 0 1 1 *' }).start();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      const expected = `${new Date().getUTCFullYear() + 1}-01-01T00:00:00.000Z`;
      await until(() => q.nextTriggerTime === expected, 30_000, 'the query waiting for its tick');
      const api = await (await fetch(new URL('api/queries', q.uiUrl!))).json() as { queries: { name: string; nextTriggerTime: string | null }[] };
      expect(api.queries.find((x) => x.name === 'cron_ui')?.nextTriggerTime).toBe(expected);
      const page = await browser.newPage();
      await page.goto(q.uiUrl!);
      await expect(page.locator('[data-testid=next-trigger]').innerText()).resolves.toBe(`${expected.slice(0, 10)} 00:00:00 UTC`);
      expect(await page.locator('#qhead').innerText()).toMatch(/next trigger \(cron\)/);
    } finally {
      await browser.close();
      await q.stop();
    }
  }, 120_000);
});
