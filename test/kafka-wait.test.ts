// Waiting is visible (issue 11 item 7): a restart that waits for Kafka says so once on stderr, naming
// the address, the budget and fetchOffset.retryTimeoutMs, and again once Kafka answers; a wait that
// runs out fails naming the address, the time waited and the option; an explicitly set
// fetchOffset.retryTimeoutMs makes a new checkpoint's first connection wait too, while without it a
// new checkpoint still fails fast. Against the real test broker, stopped with `down` and restarted with `up`.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Session, SourceError, type TriggerSpec } from '../src/index.ts';
import { produce, startBroker, uniqueTopic, type TestBroker } from './support/broker.ts';
import { tmpDir } from './support/tmp.ts';

let broker: TestBroker;
const session = Session.builder().appName('kafka-wait-test').getOrCreate();
beforeAll(async () => { broker = await startBroker(); });
afterAll(async () => { await broker?.stop(); });
afterEach(async () => { vi.restoreAllMocks(); await broker.command('up 1'); });

/** Lines this process writes to stderr from now on. */
function captureStderr(): string[] {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write);
  return lines;
}

let queries = 0;
/** A query from topic to a memory table; `__trigger: 'continuous'` runs it every 200 ms instead of availableNow. */
function start(topic: string, cp: string, extra: Record<string, string> = {}) {
  const { __trigger, ...options } = extra;
  let r = session.readStream.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', topic).option('startingOffsets', 'earliest');
  for (const [k, v] of Object.entries(options)) r = r.option(k, v);
  const trigger: TriggerSpec = __trigger === 'continuous' ? { processingTime: '200 milliseconds' } : { availableNow: true };
  return r.load().select('value').writeStream.format('memory').queryName(`wait_${++queries}`).option('checkpointLocation', cp).trigger(trigger).start();
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function topicWithData(): Promise<string> {
  const topic = uniqueTopic('wait');
  await broker.createTopic(topic, 2);
  await produce(broker.bootstrap, topic, Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })));
  return topic;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const waitLines = (lines: string[]): string[] => lines.filter((l) => l.includes('is not answering'));
const backLines = (lines: string[]): string[] => lines.filter((l) => l.includes('answered after'));

describe('a restart while Kafka is down', () => {
  it('says once that it waits (address, budget, option), and once that Kafka is back', async () => {
    const topic = await topicWithData(), cp = tmpDir('cp');
    await (await start(topic, cp)).awaitTermination();
    expect(await broker.command('down 1')).toBe('ok');
    const lines = captureStderr();
    const q = await start(topic, cp);
    await sleep(2500);
    expect(q.isActive).toBe(true);
    expect(waitLines(lines)).toHaveLength(1);
    expect(waitLines(lines)[0]).toMatch(/^sluice: Kafka at 127\.0\.0\.1:\d+ is not answering \(.+\); waiting up to 30000 ms for it \(option fetchOffset\.retryTimeoutMs\) before the query fails\.$/);
    expect(waitLines(lines)[0]).toContain(broker.bootstrap);
    expect(backLines(lines)).toHaveLength(0);
    expect(await broker.command('up 1')).toBe('ok');
    await q.awaitTermination();
    expect(waitLines(lines)).toHaveLength(1);
    expect(backLines(lines)).toHaveLength(1);
    expect(backLines(lines)[0]).toMatch(new RegExp(`^sluice: Kafka at ${broker.bootstrap.replace(/\./g, '\\.')} answered after \\d+\\.\\d s; the query goes on\\.$`));
  });

  it('fails when the budget runs out, naming the address, the time waited and the option', async () => {
    const topic = await topicWithData(), cp = tmpDir('cp');
    await (await start(topic, cp)).awaitTermination();
    expect(await broker.command('down 1')).toBe('ok');
    const lines = captureStderr();
    const started = Date.now();
    const q = await start(topic, cp, { 'fetchOffset.retryTimeoutMs': '3000' });
    const err = await q.awaitTermination().then(() => null, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(SourceError);
    expect(err!.message).toContain(`Kafka at ${broker.bootstrap} (option kafka.bootstrap.servers) did not answer`);
    expect(err!.message).toMatch(/sluice retried for \d+\.\d s, the budget set by option fetchOffset\.retryTimeoutMs \(3000 ms\), and gives up/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(waitLines(lines)).toHaveLength(1);
    expect(waitLines(lines)[0]).toContain('waiting up to 3000 ms');
    expect(backLines(lines)).toHaveLength(0);
  });
});

describe('a running query whose Kafka goes down', () => {
  it('says so once the retries have lasted 2 s, and again once Kafka is back, and reads on', async () => {
    const topic = await topicWithData(), cp = tmpDir('cp');
    const lines = captureStderr();
    const q = await start(topic, cp, { __trigger: 'continuous' });
    const rows = (): number => session.table(`wait_${queries}`).collect().length;
    await until(() => rows() === 20, 30_000);
    expect(waitLines(lines)).toHaveLength(0);
    expect(await broker.command('down 1')).toBe('ok');
    await until(() => waitLines(lines).length > 0, 20_000);
    expect(q.isActive).toBe(true);
    expect(waitLines(lines)).toHaveLength(1);
    expect(waitLines(lines)[0]).toMatch(/^sluice: Kafka at 127\.0\.0\.1:\d+ is not answering for \d+\.\d s while .+ \(.+\); waiting up to 30000 ms for it \(option fetchOffset\.retryTimeoutMs\) before the query fails\.$/);
    expect(await broker.command('up 1')).toBe('ok');
    await until(() => backLines(lines).length > 0, 30_000);
    await produce(broker.bootstrap, topic, [{ value: 'after', partition: 0 }]);
    await until(() => rows() === 21, 30_000);
    await q.stop();
    expect(waitLines(lines)).toHaveLength(1);
    expect(backLines(lines)).toHaveLength(1);
  }, 90_000);
});

describe('a new checkpoint', () => {
  it('with fetchOffset.retryTimeoutMs set waits for Kafka on its first connection, and says so', async () => {
    const topic = await topicWithData();
    expect(await broker.command('down 1')).toBe('ok');
    const lines = captureStderr();
    const q = await start(topic, tmpDir('cp'), { 'fetchOffset.retryTimeoutMs': '20000' });
    await sleep(2500);
    expect(q.isActive).toBe(true);
    expect(waitLines(lines)).toHaveLength(1);
    expect(waitLines(lines)[0]).toContain('waiting up to 20000 ms for it (option fetchOffset.retryTimeoutMs)');
    expect(await broker.command('up 1')).toBe('ok');
    await q.awaitTermination();
    expect(backLines(lines)).toHaveLength(1);
    expect(session.table(`wait_${queries}`).collect()).toHaveLength(20);
  });

  it('without it still fails fast, without a wait notice', async () => {
    const topic = await topicWithData();
    expect(await broker.command('down 1')).toBe('ok');
    const lines = captureStderr();
    const started = Date.now();
    const q = await start(topic, tmpDir('cp'));
    const err = await q.awaitTermination().then(() => null, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(SourceError);
    expect(err!.message).toContain(broker.bootstrap);
    expect(err!.message).toContain('kafka.bootstrap.servers');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(waitLines(lines)).toHaveLength(0);
  });
});
