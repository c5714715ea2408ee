// The S3 storage on its own, against s3rver through the fault proxy: the Storage contract, paged
// listing, multipart uploads, conditional creates (also when an answer is lost), the retry policy
// and its errors.
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalS3, startS3, listKeys, type TestS3 } from './support/s3.ts';
import { startFaultProxy, type FaultProxy } from './support/s3-fault-proxy.ts';
import { storageFor } from '../src/storage/storage-for.ts';
import type { Storage } from '../src/storage/storage.ts';
import { OptionError, StorageError } from '../src/index.ts';

let s3: TestS3;
let proxy: FaultProxy;
beforeAll(async () => {
  s3 = await startS3();
  if (!s3.external) proxy = await startFaultProxy(s3.endpoint!);
});
afterAll(async () => { await proxy?.close(); await s3?.stop(); });

const enc = new TextEncoder();
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

/** Storage through the proxy (or straight to a real bucket), with small budgets so failures are quick. */
function open(name: string, extra: Record<string, string> = {}): { storage: Storage; root: string } {
  const conf = s3.conf({
    ...(s3.external ? {} : { 'sluice.s3.endpoint': proxy.endpoint, 'sluice.s3.retryTimeoutMs': '1500', 'sluice.s3.requestTimeoutMs': '400' }),
    ...extra,
  });
  const { storage, path } = storageFor(s3.prefix(name), 'path', new Map(Object.entries(conf)));
  return { storage, root: path };
}

describe('S3 storage: the Storage contract', () => {
  it('read, write, create, list, exists, remove', async () => {
    const { storage, root } = open('contract');
    expect(await storage.read(`${root}/nothing`)).toBeNull();
    expect(await storage.list(`${root}/none`)).toEqual([]);
    expect(await storage.listRecursive(`${root}/none`)).toEqual([]);
    await storage.write(`${root}/a/1`, enc.encode('one'));
    await storage.write(`${root}/a/1`, enc.encode('uno'));
    expect(text(await storage.read(`${root}/a/1`))).toBe('uno');
    // A file given as parts (a state file's) is one object of their bytes in order.
    await storage.write(`${root}/p/parts`, [enc.encode('pa'), new Uint8Array(0), enc.encode('rts')]);
    expect(text(await storage.read(`${root}/p/parts`))).toBe('parts');
    expect(await storage.create(`${root}/a/2`, enc.encode('two'))).toBe(true);
    expect(await storage.create(`${root}/a/2`, enc.encode('deux'))).toBe(false);
    expect(text(await storage.read(`${root}/a/2`))).toBe('two');
    await storage.write(`${root}/a/sub/x`, enc.encode('x'));
    await storage.write(`${root}/a/.hidden`, enc.encode('h'));
    expect(await storage.list(`${root}/a`)).toEqual(['1', '2', 'sub']);
    expect(await storage.listRecursive(`${root}/a`)).toEqual([`${root}/a/.hidden`, `${root}/a/1`, `${root}/a/2`, `${root}/a/sub/x`]);
    expect([await storage.exists(`${root}/a/1`), await storage.exists(`${root}/a/sub`), await storage.exists(`${root}/a/zz`)]).toEqual([true, true, false]);
    await storage.remove(`${root}/a/1`);
    await storage.remove(`${root}/a/1`);
    expect(await storage.read(`${root}/a/1`)).toBeNull();
    // A trailing slash and s3a:// name the same place.
    expect(storageFor(`${root}/`, 'path', new Map(Object.entries(s3.conf()))).path).toBe(root);
    expect(storageFor(root.replace('s3://', 's3a://'), 'path', new Map(Object.entries(s3.conf()))).path).toBe(root);
  });

  it('pages through listings (many keys, small pages), in S3 key order', async () => {
    // 122 PUTs at once queue up in s3rver: generous budgets, since no fault is injected here and a
    // loaded machine (CI runs two test files at once) made the 400 ms default time out.
    const { storage, root } = open('paging', { 'sluice.s3.listPageSize': '7', 'sluice.s3.requestTimeoutMs': '5000', 'sluice.s3.retryTimeoutMs': '30000' });
    // Names whose key order differs from a directory walk's: '-' and '%' sort before '/'.
    const keys: string[] = [];
    for (let i = 0; i < 40; i++) keys.push(`p=a/f${i}`, `p=a%2Fb/f${i}`, `p=a-c/f${i}`);
    keys.push('top', 'p=a');
    await Promise.all(keys.map((k) => storage.write(`${root}/${k}`, enc.encode(k))));
    const before = proxy?.seen.length ?? 0;
    const all = await storage.listRecursive(root);
    expect(all).toEqual(keys.map((k) => `${root}/${k}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(await storage.list(root)).toEqual(['p=a', 'p=a%2Fb', 'p=a-c', 'top']);
    expect(await storage.list(`${root}/p=a-c`)).toEqual(Array.from({ length: 40 }, (_, i) => `f${i}`).sort());
    if (proxy) {
      const lists = proxy.seen.slice(before).filter((r) => r.method === 'GET' && r.query.includes('list-type=2'));
      expect(lists.filter((r) => r.query.includes('continuation-token')).length).toBeGreaterThanOrEqual(Math.floor(122 / 7));
    }
  });

  // Parts below S3's 5 MiB minimum, and the fault proxy: s3rver only.
  it.skipIf(externalS3)('uploads large objects in parts; a failed part is retried, a lost completion recognised', async () => {
    // The lost reply is noticed by the request timeout; 2 s rather than 400 ms, so that a slow answer
    // on a loaded machine is not taken for a lost one (which would count a second initiation).
    const { storage, root } = open('multipart', {
      'sluice.s3.multipartThresholdBytes': '1000', 'sluice.s3.partSizeBytes': '300', 'sluice.s3.requestTimeoutMs': '2000', 'sluice.s3.retryTimeoutMs': '15000',
    });
    const big = Uint8Array.from({ length: 2500 }, (_, i) => (i * 7) % 256);
    const part = proxy.add({ method: 'PUT', key: 'multipart', query: /partNumber=4/, fault: '503', times: 2 });
    const complete = proxy.add({ method: 'POST', key: 'multipart', query: /uploadId/, fault: 'lostReply', times: 1 });
    const before = proxy.seen.length;
    await storage.write(`${root}/big.bin`, big);
    const seen = proxy.seen.slice(before);
    expect(seen.filter((r) => r.method === 'POST' && r.query.startsWith('uploads')).length).toBe(1);
    expect(new Set(seen.filter((r) => r.method === 'PUT' && r.query.includes('partNumber')).map((r) => r.query.match(/partNumber=(\d+)/)![1])).size).toBe(9);
    expect([part.hits, complete.hits]).toEqual([2, 1]);
    expect(await storage.read(`${root}/big.bin`)).toEqual(big);
    // Below the threshold: one PUT.
    const small = proxy.seen.length;
    await storage.write(`${root}/small.bin`, big.subarray(0, 999));
    expect(proxy.seen.slice(small).map((r) => r.method)).toEqual(['PUT']);
    proxy.clear();
  });
});

describe('S3 storage: conditional create and retries', () => {
  it.skipIf(externalS3)('a create whose answer was lost is still ours; another writer\'s object is not', async () => {
    const { storage, root } = open('create');
    proxy.add({ method: 'PUT', key: 'create', fault: 'lostReply', times: 1 });
    expect(await storage.create(`${root}/log/0`, enc.encode('mine'))).toBe(true);
    // The object existed before our first attempt: a retry's 412 must not be mistaken for ours.
    await storage.create(`${root}/log/1`, enc.encode('theirs'));
    proxy.add({ method: 'PUT', key: 'log/1', fault: '503', times: 1 });
    expect(await storage.create(`${root}/log/1`, enc.encode('mine'))).toBe(false);
    // A racing conditional write (409) is retried, then the 412 decides.
    proxy.add({ method: 'PUT', key: 'log/2', fault: '409', times: 1 });
    expect(await storage.create(`${root}/log/2`, enc.encode('mine'))).toBe(true);
    expect(text(await storage.read(`${root}/log/1`))).toBe('theirs');
    proxy.clear();
  });

  it.skipIf(externalS3)('retries 500, 503, resets and stalls on every kind of call', async () => {
    const { storage, root } = open('retry');
    const rules = [
      proxy.add({ method: 'PUT', key: 'retry', fault: '500', times: 1 }),
      proxy.add({ method: 'PUT', key: 'retry', fault: 'reset', times: 1 }),
      proxy.add({ method: 'GET', key: 'retry', fault: '503', times: 1 }),
      proxy.add({ method: 'GET', key: 'retry', fault: 'stall', times: 1 }),
      proxy.add({ method: 'GET', query: /list-type=2/, fault: 'reset', times: 1 }),
      proxy.add({ method: 'DELETE', fault: 'stall', times: 1 }),
    ];
    const t0 = Date.now();
    await storage.write(`${root}/f`, enc.encode('data'));
    expect(text(await storage.read(`${root}/f`))).toBe('data');
    expect(await storage.list(root)).toEqual(['f']);
    await storage.remove(`${root}/f`);
    expect(rules.map((r) => r.hits)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Date.now() - t0).toBeLessThan(1500 * 3);
    expect(await listKeys(s3, root)).toEqual([]);
    proxy.clear();
  });

  it.skipIf(externalS3)('a persistent fault fails within the budget, naming op, bucket and key, and no secret', async () => {
    const { storage, root } = open('persistent', { 'sluice.s3.retryTimeoutMs': '800' });
    const key = root.slice(`s3://${s3.bucket}/`.length) + '/commits/7';
    proxy.add({ method: 'PUT', key: 'persistent', fault: '503' });
    const t0 = Date.now();
    const err = await storage.create(`${root}/commits/7`, enc.encode('x')).then(() => null, (e: unknown) => e);
    const ms = Date.now() - t0;
    expect(err).toBeInstanceOf(StorageError);
    const e = err as StorageError;
    expect([e.op, e.bucket, e.key]).toEqual(['PutObject (If-None-Match: *)', s3.bucket, key]);
    expect(e.message).toContain(`S3 PutObject (If-None-Match: *) failed for bucket '${s3.bucket}', key '${key}'`);
    expect(e.message).toMatch(/after \d+ attempts in \d+ ms: SlowDown \(HTTP 503.*sluice\.s3\.retryTimeoutMs = 800 ms/);
    expect(ms).toBeGreaterThanOrEqual(800);
    expect(ms).toBeLessThan(800 + 1000);
    // A stall is detected by the request timeout, and also ends in a clear error.
    proxy.clear();
    proxy.add({ method: 'GET', key: 'persistent', fault: 'stall' });
    const stalled = await storage.read(`${root}/x`).then(() => null, (x: unknown) => x as StorageError);
    expect(stalled?.message).toMatch(/S3 GetObject failed for bucket .* TimeoutError/);
    proxy.clear();
    for (const x of [e, stalled]) {
      const all = `${x!.message}\n${x!.stack}\n${inspect(x, { depth: 8 })}`;
      expect(all).not.toContain(process.env.AWS_SECRET_ACCESS_KEY!);
    }
  });

  it('does not retry what retrying cannot fix, and refuses bad settings up front', async () => {
    const conf = new Map(Object.entries(s3.conf({ 'sluice.s3.retryTimeoutMs': '60000' })));
    if (!s3.external) {
      const t0 = Date.now();
      const { storage } = storageFor('s3://no-such-bucket-sluice/x', 'path', conf);
      await expect(storage.read('s3://no-such-bucket-sluice/x/y')).rejects.toThrow(/S3 GetObject failed for bucket 'no-such-bucket-sluice', key 'x\/y'.*NoSuchBucket.*create it/);
      expect(Date.now() - t0).toBeLessThan(5000);
    }
    expect(() => storageFor('s3://Bad_Bucket/x', 'checkpointLocation', conf)).toThrow(OptionError);
    expect(() => storageFor('s3://Bad_Bucket/x', 'checkpointLocation', conf)).toThrow(/checkpointLocation 's3:\/\/Bad_Bucket\/x' is not a valid S3 location/);
    expect(() => storageFor('s3://lake/x', 'path', new Map([['sluice.s3.retryTimeoutMs', 'soon']]))).toThrow(/session config 'sluice.s3.retryTimeoutMs' must be a whole number/);
    expect(() => storageFor('s3://lake/x', 'path', new Map([['sluice.s3.forcePathStyle', 'yes']]))).toThrow(/'sluice.s3.forcePathStyle' must be true or false/);
    expect(() => storageFor('s3://lake/x', 'path', new Map([['sluice.s3.endpoint', 'localhost:9000']]))).toThrow(/must be an http:\/\/ or https:\/\/ URL/);
  });
});
