// The front's message codecs at every version it accepts, including the flexible ones (Metadata
// v9+, FindCoordinator v3+, ApiVersions v3) that neither kcat nor kafkajs send to the mock (librdkafka
// 2.0.2's mock lists Metadata v0-2, FindCoordinator v0-2, ApiVersions v0-2, so the client tests only
// reach those). Answers are built here field by field from the protocol's message specs
// (apache/kafka clients/src/main/resources/common/message/*Response.json), independently of
// frames.ts's Writer; where kafkajs 2.2.4 has a decoder (Metadata v0-6, FindCoordinator v0-2) it
// reads the rewritten bytes too.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  decodeApiVersionsResponse, decodeMetadataResponse, encodeApiVersionsResponse, rewriteFindCoordinator, rewriteMetadataBrokers,
  type BrokerAddress,
} from '../tools/kafka-front/codecs.ts';
import { FrameSplitter } from '../tools/kafka-front/frames.ts';

const require = createRequire(import.meta.url);
type KafkajsDecode = (body: Buffer) => Promise<Record<string, unknown>>;
const kafkajsDecoder = (api: string, version: number): KafkajsDecode =>
  (require(`kafkajs/src/protocol/requests/${api}/v${version}/response`) as { decode: KafkajsDecode }).decode;

// ---- field encoders, from the protocol guide's primitive types ----------------------------------

const i8 = (v: number): Buffer => Buffer.from([v & 0xff]);
const i16 = (v: number): Buffer => { const b = Buffer.alloc(2); b.writeInt16BE(v); return b; };
const i32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
const uvarint = (v: number): Buffer => {
  const out: number[] = [];
  for (; v >= 0x80; v >>>= 7) out.push((v & 0x7f) | 0x80);
  return Buffer.from([...out, v]);
};
const str = (s: string | null, flex: boolean): Buffer => {
  if (s === null) return flex ? uvarint(0) : i16(-1);
  const b = Buffer.from(s);
  return Buffer.concat([flex ? uvarint(b.length + 1) : i16(b.length), b]);
};
const arr = (items: Buffer[], flex: boolean): Buffer => Buffer.concat([flex ? uvarint(items.length + 1) : i32(items.length), ...items]);
/** A tagged-field section: none, or one unknown tag that must survive a rewrite. */
const tags = (withOne: boolean): Buffer => (withOne ? Buffer.from([1, 7, 2, 0xab, 0xcd]) : uvarint(0));

// ---- Metadata ---------------------------------------------------------------------------------

interface Broker { nodeId: number; host: string; port: number; rack: string | null }
const MOCK: Broker[] = [
  { nodeId: 1, host: 'mock-one.example', port: 39001, rack: null },
  { nodeId: 2, host: '127.0.0.1', port: 39002, rack: 'rack-b' },
];
const FRONT = new Map<number, BrokerAddress>([[1, { nodeId: 1, host: '127.0.0.1', port: 1111 }], [2, { nodeId: 2, host: 'front.local', port: 22222 }]]);
const toFront = (b: BrokerAddress): BrokerAddress => FRONT.get(b.nodeId)!;

function metadataBrokers(version: number, brokers: Broker[]): Buffer {
  const flex = version >= 9;
  return arr(brokers.map((b, i) => Buffer.concat([
    i32(b.nodeId), str(b.host, flex), i32(b.port), version >= 1 ? str(b.rack, flex) : Buffer.alloc(0), flex ? tags(i === 1) : Buffer.alloc(0),
  ])), flex);
}

/** Everything after the brokers: cluster id, controller, one topic with partitions led by 2 and 1. */
function metadataRest(version: number): Buffer {
  const flex = version >= 9;
  const ints = (xs: number[]): Buffer => arr(xs.map(i32), flex);
  const partition = (index: number, leader: number): Buffer => Buffer.concat([
    i16(0), i32(index), i32(leader), version >= 7 ? i32(5) : Buffer.alloc(0), ints([1, 2]), ints([2, 1]),
    version >= 5 ? ints([]) : Buffer.alloc(0), flex ? tags(false) : Buffer.alloc(0),
  ]);
  const topic = Buffer.concat([
    i16(0), str('orders', flex), version >= 10 ? Buffer.alloc(16, 0x5a) : Buffer.alloc(0), version >= 1 ? i8(0) : Buffer.alloc(0),
    arr([partition(0, 2), partition(1, 1)], flex), version >= 8 ? i32(-2147483648) : Buffer.alloc(0), flex ? tags(true) : Buffer.alloc(0),
  ]);
  return Buffer.concat([
    version >= 2 ? str('cluster-x', flex) : Buffer.alloc(0), version >= 1 ? i32(2) : Buffer.alloc(0), arr([topic], flex),
    version >= 8 && version <= 10 ? i32(-2147483648) : Buffer.alloc(0), flex ? tags(false) : Buffer.alloc(0),
  ]);
}

function metadataBody(version: number, brokers: Broker[]): Buffer {
  return Buffer.concat([version >= 3 ? i32(0) : Buffer.alloc(0), metadataBrokers(version, brokers), metadataRest(version)]);
}

describe('Metadata answers', () => {
  const versions = Array.from({ length: 13 }, (_, v) => v);
  const rewritten = MOCK.map((b) => ({ ...b, host: toFront(b).host, port: toFront(b).port }));

  it.each(versions)('v%i: broker addresses rewritten, every other byte kept', (version) => {
    const out = rewriteMetadataBrokers(version, metadataBody(version, MOCK), toFront);
    expect(out.equals(metadataBody(version, rewritten))).toBe(true);
    const decoded = decodeMetadataResponse(version, out);
    expect(decoded.brokers).toEqual([...FRONT.values()]);
    expect(decoded.topics).toEqual([{ name: 'orders', errorCode: 0, partitions: [{ partition: 0, leader: 2, errorCode: 0 }, { partition: 1, leader: 1, errorCode: 0 }] }]);
  });

  it.each(versions.filter((v) => v <= 6))('v%i: kafkajs reads the rewritten answer as the original but for the addresses', async (version) => {
    const decode = kafkajsDecoder('metadata', version);
    const before = await decode(metadataBody(version, MOCK));
    const after = await decode(rewriteMetadataBrokers(version, metadataBody(version, MOCK), toFront));
    const brokers = (before.brokers as Broker[]).map((b) => ({ ...b, host: toFront(b).host, port: toFront(b).port }));
    expect(after).toEqual({ ...before, brokers });
  });
});

// ---- FindCoordinator --------------------------------------------------------------------------

function coordinatorBody(version: number, b: Broker, errorCode = 0): Buffer {
  const flex = version >= 3;
  const node = Buffer.concat([i32(errorCode ? -1 : b.nodeId), str(errorCode ? '' : b.host, flex), i32(errorCode ? -1 : b.port)]);
  if (version >= 4) {
    const entry = Buffer.concat([str('group-a', flex), node, i16(errorCode), str(null, flex), tags(true)]);
    return Buffer.concat([i32(0), arr([entry], flex), tags(false)]);
  }
  return Buffer.concat([
    version >= 1 ? i32(0) : Buffer.alloc(0), i16(errorCode), version >= 1 ? str(errorCode ? 'not available' : null, flex) : Buffer.alloc(0),
    node, flex ? tags(true) : Buffer.alloc(0),
  ]);
}

describe('FindCoordinator answers', () => {
  const b2 = MOCK[1]!;
  const front2 = { ...b2, host: FRONT.get(2)!.host, port: FRONT.get(2)!.port };

  it.each([0, 1, 2, 3, 4])('v%i: the coordinator\'s address rewritten, an error answer kept as it is', (version) => {
    expect(rewriteFindCoordinator(version, coordinatorBody(version, b2), toFront).equals(coordinatorBody(version, front2))).toBe(true);
    const failed = coordinatorBody(version, b2, 15); // COORDINATOR_NOT_AVAILABLE, node -1
    expect(rewriteFindCoordinator(version, failed, toFront).equals(failed)).toBe(true);
  });

  it.each([0, 1, 2])('v%i: kafkajs reads the rewritten coordinator', async (version) => {
    const got = await kafkajsDecoder('findCoordinator', version)(rewriteFindCoordinator(version, coordinatorBody(version, b2), toFront));
    expect(got.coordinator).toEqual({ nodeId: 2, host: front2.host, port: front2.port });
  });
});

// ---- ApiVersions ------------------------------------------------------------------------------

describe('ApiVersions answers', () => {
  const apis: [number, number, number][] = [[0, 0, 9], [3, 0, 12], [18, 0, 3]];
  const body = (version: number, withTags: boolean): Buffer => {
    const flex = version >= 3;
    return Buffer.concat([
      i16(0), arr(apis.map(([k, min, max]) => Buffer.concat([i16(k), i16(min), i16(max), flex ? tags(false) : Buffer.alloc(0)])), flex),
      version >= 1 ? i32(7) : Buffer.alloc(0), flex ? tags(withTags) : Buffer.alloc(0),
    ]);
  };

  it.each([0, 1, 2, 3])('v%i: decodes and encodes back to the same bytes (v3: trailing tagged fields kept)', (version) => {
    const original = body(version, true);
    const decoded = decodeApiVersionsResponse(version, original);
    expect(decoded.apis).toEqual(apis.map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion })));
    expect(decoded.throttleTimeMs).toBe(version >= 1 ? 7 : 0);
    expect(encodeApiVersionsResponse(version, decoded).equals(original)).toBe(true);
    if (version === 3) expect(encodeApiVersionsResponse(3, decodeApiVersionsResponse(3, body(3, false))).equals(body(3, false))).toBe(true);
  });
});

// ---- framing ----------------------------------------------------------------------------------

describe('FrameSplitter', () => {
  it('yields the same frames however the stream is cut', () => {
    const payloads = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from('last frame')];
    const stream = Buffer.concat(payloads.flatMap((p) => [i32(p.length), p]));
    for (const cut of [1, 3, 4, 5, 4096, 65_536, stream.length]) {
      const s = new FrameSplitter();
      const got: Buffer[] = [];
      for (let at = 0; at < stream.length; at += cut) got.push(...s.push(stream.subarray(at, at + cut)));
      expect(got.map((b) => b.toString('hex')), `cut ${cut}`).toEqual(payloads.map((b) => b.toString('hex')));
    }
  });

  it('refuses a size no Kafka frame has (a TLS record read as Kafka: 0x16 0x03 0x01 ...)', () => {
    expect(() => new FrameSplitter().push(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]))).toThrow(/not the Kafka protocol/);
  });
});
