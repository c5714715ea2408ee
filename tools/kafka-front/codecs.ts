// The message bodies the front reads or rewrites: Metadata and FindCoordinator answers (broker
// addresses), ApiVersions answers (the SASL apis), Metadata requests of its own (partition
// leaders) and the acks of a Produce request (acks=0 has no answer). Versions follow the JSON
// message specs of apache/kafka (clients/src/main/resources/common/message).
import { ApiKey, isFlexible, Reader, Writer } from './frames.ts';

export interface BrokerAddress { nodeId: number; host: string; port: number }

// ---- Metadata (3), v0..v12 -----------------------------------------------------------------

export const METADATA_MAX_VERSION = 12;

export interface MetadataPartition { partition: number; leader: number; errorCode: number }
export interface MetadataTopic { name: string | null; errorCode: number; partitions: MetadataPartition[] }
export interface Metadata { brokers: BrokerAddress[]; topics: MetadataTopic[] }

/** Reads the brokers and the partition leaders of a Metadata answer body. */
export function decodeMetadataResponse(version: number, body: Buffer): Metadata {
  const flex = isFlexible(ApiKey.Metadata, version);
  const r = new Reader(body);
  if (version >= 3) r.int32(); // throttle_time_ms
  const brokers = readBrokers(r, version, flex).map((b) => b.address);
  if (version >= 2) r.nullableStr(flex); // cluster_id
  if (version >= 1) r.int32(); // controller_id
  const topics: MetadataTopic[] = [];
  const nTopics = r.arrayLength(flex);
  for (let t = 0; t < nTopics; t++) {
    const errorCode = r.int16();
    const name = r.nullableStr(flex);
    if (version >= 10) r.raw(16); // topic_id
    if (version >= 1) r.int8(); // is_internal
    const partitions: MetadataPartition[] = [];
    const nParts = r.arrayLength(flex);
    for (let p = 0; p < nParts; p++) {
      const perr = r.int16();
      const partition = r.int32();
      const leader = r.int32();
      if (version >= 7) r.int32(); // leader_epoch
      skipInt32Array(r, flex); // replica_nodes
      skipInt32Array(r, flex); // isr_nodes
      if (version >= 5) skipInt32Array(r, flex); // offline_replicas
      if (flex) r.skipTaggedFields();
      partitions.push({ partition, leader, errorCode: perr });
    }
    if (version >= 8) r.int32(); // topic_authorized_operations
    if (flex) r.skipTaggedFields();
    topics.push({ name, errorCode, partitions });
  }
  return { brokers, topics };
}

/** The Metadata answer body with each broker's host and port replaced by `map(nodeId)`. */
export function rewriteMetadataBrokers(version: number, body: Buffer, map: (b: BrokerAddress) => BrokerAddress): Buffer {
  const flex = isFlexible(ApiKey.Metadata, version);
  const r = new Reader(body);
  if (version >= 3) r.int32();
  const start = r.offset;
  const brokers = readBrokers(r, version, flex);
  const end = r.offset;
  const w = new Writer().bytesRaw(body.subarray(0, start)).arrayLength(brokers.length, flex);
  for (const b of brokers) {
    const to = map(b.address);
    w.int32(to.nodeId).str(to.host, flex).int32(to.port);
    if (version >= 1) w.nullableStr(b.rack, flex);
    if (flex) w.bytesRaw(b.tags);
  }
  return w.bytesRaw(body.subarray(end)).build();
}

function readBrokers(r: Reader, version: number, flex: boolean): { address: BrokerAddress; rack: string | null; tags: Buffer }[] {
  const n = r.arrayLength(flex);
  const out = [];
  for (let i = 0; i < n; i++) {
    const nodeId = r.int32();
    const host = r.str(flex);
    const port = r.int32();
    const rack = version >= 1 ? r.nullableStr(flex) : null;
    const tags = flex ? r.taggedFieldsRaw() : Buffer.alloc(0);
    out.push({ address: { nodeId, host, port }, rack, tags });
  }
  return out;
}

function skipInt32Array(r: Reader, flex: boolean): void {
  const n = r.arrayLength(flex);
  if (n > 0) r.raw(4 * n);
}

/** A Metadata v1 request body for every topic (a null list: asking by name would auto-create on the mock). */
export function encodeMetadataRequestAllTopics(): Buffer {
  return new Writer().int32(-1).build();
}

// ---- FindCoordinator (10), v0..v4 ----------------------------------------------------------

export const FIND_COORDINATOR_MAX_VERSION = 4;

/** The FindCoordinator answer body with the coordinator's host and port replaced by `map`. */
export function rewriteFindCoordinator(version: number, body: Buffer, map: (b: BrokerAddress) => BrokerAddress): Buffer {
  const flex = isFlexible(ApiKey.FindCoordinator, version);
  const r = new Reader(body);
  const w = new Writer();
  const address = (): void => {
    const nodeId = r.int32();
    const host = r.str(flex);
    const port = r.int32();
    // nodeId -1 with an error: no coordinator to rewrite, keep what the broker said.
    const to = nodeId < 0 ? { nodeId, host, port } : map({ nodeId, host, port });
    w.int32(to.nodeId).str(to.host, flex).int32(to.port);
  };
  if (version >= 4) {
    w.int32(r.int32()); // throttle_time_ms
    const n = r.arrayLength(flex);
    w.arrayLength(n, flex);
    for (let i = 0; i < n; i++) {
      w.str(r.str(flex), flex); // key
      address();
      w.int16(r.int16()).nullableStr(r.nullableStr(flex), flex).bytesRaw(r.taggedFieldsRaw());
    }
  } else {
    if (version >= 1) w.int32(r.int32()); // throttle_time_ms
    w.int16(r.int16()); // error_code
    if (version >= 1) w.nullableStr(r.nullableStr(flex), flex); // error_message
    address();
  }
  return w.bytesRaw(r.rest()).build();
}

// ---- ApiVersions (18), v0..v3 ------------------------------------------------------------

export interface ApiVersionRange { apiKey: number; minVersion: number; maxVersion: number }
export interface ApiVersionsResponse {
  errorCode: number;
  apis: ApiVersionRange[];
  throttleTimeMs: number;
  /** v3+: the trailing tagged fields (supported/finalized features), kept as bytes. */
  tags: Buffer;
}

export const UNSUPPORTED_VERSION = 35;

export function decodeApiVersionsResponse(version: number, body: Buffer): ApiVersionsResponse {
  const flex = isFlexible(ApiKey.ApiVersions, version);
  const r = new Reader(body);
  const errorCode = r.int16();
  const apis: ApiVersionRange[] = [];
  const n = r.arrayLength(flex);
  for (let i = 0; i < n; i++) {
    apis.push({ apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() });
    if (flex) r.skipTaggedFields();
  }
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const tags = flex ? r.taggedFieldsRaw() : Buffer.alloc(0);
  return { errorCode, apis, throttleTimeMs, tags };
}

export function encodeApiVersionsResponse(version: number, a: ApiVersionsResponse): Buffer {
  const flex = isFlexible(ApiKey.ApiVersions, version);
  const w = new Writer().int16(a.errorCode).arrayLength(a.apis.length, flex);
  for (const api of a.apis) {
    w.int16(api.apiKey).int16(api.minVersion).int16(api.maxVersion);
    if (flex) w.noTags();
  }
  if (version >= 1) w.int32(a.throttleTimeMs);
  if (flex) w.bytesRaw(a.tags.length ? a.tags : Buffer.from([0]));
  return w.build();
}

/** Sets (or adds) an api's version range, capping it to what the front can read. */
export function setApiVersions(a: ApiVersionsResponse, range: ApiVersionRange): void {
  const i = a.apis.findIndex((x) => x.apiKey === range.apiKey);
  if (i >= 0) a.apis[i] = range;
  else a.apis.push(range);
  a.apis.sort((x, y) => x.apiKey - y.apiKey);
}

// ---- Produce (0) -------------------------------------------------------------------------

/** The acks of a Produce request: 0 means the broker sends no answer. */
export function produceAcks(version: number, body: Buffer): number {
  const r = new Reader(body);
  if (version >= 3) r.nullableStr(isFlexible(ApiKey.Produce, version)); // transactional_id
  return r.int16();
}
