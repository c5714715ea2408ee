#!/usr/bin/env node
// A local S3 endpoint for tests: npm s3rver 3.7.x on 127.0.0.1, made to behave like S3 where
// sluice depends on it. Prints its URL (http://127.0.0.1:<port>) as the first line on stdout.
//
//   node --openssl-legacy-provider tools/s3rver/start.mjs <dataDir> [port=0] [bucket...=lake] [--exit-with-parent]
//
// --openssl-legacy-provider: s3rver encrypts ListObjectsV2 continuation tokens with DES, which
//   Node 20's OpenSSL refuses without it (every paged listing then answers 500).
// --exit-with-parent: exit when stdin closes, so a killed test worker never leaves a server behind.
//
// Where stock s3rver differs from S3, and what this launcher changes:
//  1. It ignores If-None-Match / If-Match on PUT. A middleware answers 412 like S3, and holds a
//     per-key lock from the check to the end of the write, so two racing conditional PUTs of one
//     key cannot both succeed (two queries on one checkpoint depend on that).
//  2. It streams a PUT body straight into the object's file: a client killed mid-upload leaves a
//     truncated object that GET and LIST return. Here the body is read whole (a cut-off body is
//     dropped) and renamed into place, so a PUT is all-or-nothing as on S3.
//  3. Its listing walks directories and pages by the last key, so keys whose order differs from
//     the walk's (a '-' or '%' after a shared prefix: `p=a/x` vs `p=a%2Fb/x`) are skipped on the
//     next page. Here keys are sorted as S3 sorts them (UTF-8 bytes) before paging.
//  4. It answers 500 to a part upload or completion of an upload that is gone (completed or
//     aborted). Here that is 404 NoSuchUpload as on S3, which is how a client learns that a
//     completion whose answer was lost did happen.
//  5. It only knows the access key id S3RVER. Here any key id is accepted (and, as before, no
//     SigV4 signature is checked), so tests can use whatever dummy credentials they set.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import S3rver from 's3rver';

const require = createRequire(import.meta.url);
const AWSAccount = require('s3rver/lib/models/account.js');
const S3Object = require('s3rver/lib/models/object.js');
const S3Error = require('s3rver/lib/models/error.js');

const flags = new Set(process.argv.slice(2).filter((a) => a.startsWith('--')));
const [dir = './.s3data', port = '0', ...buckets] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (buckets.length === 0) buckets.push('lake');

const server = new S3rver({
  port: Number(port), address: '127.0.0.1', silent: true, directory: dir,
  configureBuckets: buckets.map((name) => ({ name })),
});
const store = server.store;
const OBJECT_SUFFIX = '._S3rver_object';

// 5. Any access key id.
const registryGet = AWSAccount.registry.get.bind(AWSAccount.registry);
AWSAccount.registry.get = (id) => registryGet(id) ?? AWSAccount.DUMMY_ACCOUNT;

// 1. Conditional PUTs, checked and written under a per-key lock.
const locks = new Map();
server.middleware.unshift(async (ctx, next) => {
  const ifNoneMatch = ctx.get('if-none-match'), ifMatch = ctx.get('if-match');
  if (ctx.method !== 'PUT' || !(ifNoneMatch || ifMatch) || ctx.get('x-amz-copy-source') || ctx.query.uploadId) return next();
  const [, bucket, ...rest] = ctx.path.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const id = `${bucket}/${key}`;
  const before = locks.get(id) ?? Promise.resolve();
  let release;
  const mine = before.then(() => new Promise((r) => { release = r; }));
  locks.set(id, mine);
  await before;
  try {
    let meta = null;
    try { meta = await store.getMetadata(bucket, key); } catch { /* absent */ }
    if ((ifNoneMatch === '*' && meta) || (ifMatch && (!meta || meta.etag !== ifMatch))) {
      ctx.status = 412; ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>'
        + '<Message>At least one of the pre-conditions you specified did not hold</Message></Error>';
      return;
    }
    await next();
  } finally {
    release();
    if (locks.get(id) === mine) locks.delete(id);
  }
});

// 2. All-or-nothing PUT.
function readWhole(stream, expected) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let ended = false;
    stream.on('data', (c) => chunks.push(c));
    stream.on('error', reject);
    stream.on('aborted', () => reject(new Error('request aborted')));
    stream.on('close', () => { if (!ended) reject(new Error('connection closed before the body ended')); });
    stream.on('end', () => {
      ended = true;
      const body = Buffer.concat(chunks);
      if (Number.isFinite(expected) && body.length !== expected) reject(new Error(`body has ${body.length} bytes, Content-Length said ${expected}`));
      else resolve(body);
    });
  });
}
let tmpSeq = 0;
const putObject = store.putObject.bind(store);
store.putObject = async (object) => {
  if (Buffer.isBuffer(object.content)) return putObject(object);
  // The request's own length (a multipart completion passes a stream of parts with none).
  const body = await readWhole(object.content, Number(object.content.headers?.['content-length']));
  const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
  await mkdir(dirname(objectPath), { recursive: true });
  // Not ending in OBJECT_SUFFIX: the listing never shows it.
  const tmp = `${objectPath}.${process.pid}.${++tmpSeq}.tmp`;
  const md5 = createHash('md5').update(body).digest('hex');
  try {
    await writeFile(tmp, body);
    await store.putMetadata(object.bucket, object.key, object.metadata, md5);
    await rename(tmp, objectPath);
  } finally {
    await rm(tmp, { force: true });
  }
  return { size: body.length, md5 };
};

// 4. NoSuchUpload.
const uploadExists = (bucket, uploadId) =>
  stat(join(store.getResourcePath(bucket, undefined, 'uploads'), String(uploadId), 'key')).then(() => true, () => false);
const noSuchUpload = () => new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
for (const method of ['putPart', 'putObjectMultipart']) {
  const original = store[method].bind(store);
  store[method] = async (bucket, uploadId, ...rest) => {
    if (!(await uploadExists(bucket, uploadId))) throw noSuchUpload();
    return original(bucket, uploadId, ...rest);
  };
}

// 3. Listing in S3's key order.
const utf8Order = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
store.listObjects = async (bucket, options) => {
  const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
  const bucketPath = store.getBucketPath(bucket);
  const found = [];
  const walk = async (abs, rel) => {
    let entries;
    try { entries = await readdir(abs, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (e.isDirectory()) {
        const sub = `${rel}${e.name}/`;
        if (sub.startsWith(prefix) || prefix.startsWith(sub)) await walk(join(abs, e.name), sub);
      } else if (e.name.endsWith(OBJECT_SUFFIX)) {
        const key = rel + e.name.slice(0, -OBJECT_SUFFIX.length);
        if (key.startsWith(prefix) && utf8Order(key, startAfter) > 0) found.push(key);
      }
    }
  };
  await walk(bucketPath, '');
  found.sort(utf8Order);
  const keys = [], commonPrefixes = new Set();
  let isTruncated = false;
  for (const key of found) {
    const idx = delimiter ? key.slice(prefix.length).indexOf(delimiter) : -1;
    if (idx !== -1) { commonPrefixes.add(key.slice(0, prefix.length + idx + delimiter.length)); continue; }
    if (keys.length >= maxKeys) { isTruncated = true; break; }
    keys.push(key);
  }
  const metas = await Promise.all(keys.map((k) => store.getMetadata(bucket, k).catch(() => undefined)));
  return {
    objects: keys.flatMap((k, i) => (metas[i] ? [new S3Object(bucket, k, null, metas[i])] : [])),
    commonPrefixes: [...commonPrefixes].sort(utf8Order),
    isTruncated,
  };
};

if (flags.has('--exit-with-parent')) {
  process.stdin.on('end', () => process.exit(0)).on('close', () => process.exit(0)).resume();
}
const { address, port: bound } = await server.run();
console.log(`http://${address}:${bound}`);
