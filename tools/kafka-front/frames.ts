// Kafka wire primitives for the front: request/response headers, the flexible-version table,
// and a reader/writer for the fields the front and its hooks parse. Only what a forwarding
// proxy needs: bodies are kept as bytes unless a codec in codecs.ts reads them.
// Reference: https://kafka.apache.org/protocol (header v1/v2, KIP-482 tagged fields).

/** Api keys the front itself looks at (the rest pass through by number). */
export const ApiKey = {
  Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10,
  JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14, DescribeGroups: 15, ListGroups: 16,
  SaslHandshake: 17, ApiVersions: 18, CreateTopics: 19, DeleteTopics: 20, DeleteRecords: 21, InitProducerId: 22,
  OffsetForLeaderEpoch: 23, AddPartitionsToTxn: 24, AddOffsetsToTxn: 25, EndTxn: 26, WriteTxnMarkers: 27,
  TxnOffsetCommit: 28, DescribeConfigs: 32, AlterConfigs: 33, SaslAuthenticate: 36, CreatePartitions: 37,
  DeleteGroups: 42,
} as const;

// First flexible (KIP-482) version of each api, from the JSON message specs in
// apache/kafka clients/src/main/resources/common/message ("flexibleVersions").
// -1: never flexible. An api missing here is treated as never flexible.
const FIRST_FLEXIBLE: Record<number, number> = {
  0: 9, 1: 12, 2: 6, 3: 9, 4: 4, 5: 2, 6: 6, 7: 3, 8: 8, 9: 6, 10: 3, 11: 6, 12: 4, 13: 4, 14: 4, 15: 5, 16: 3,
  17: -1, 18: 3, 19: 5, 20: 4, 21: 2, 22: 2, 23: 4, 24: 3, 25: 3, 26: 3, 27: 1, 28: 3, 29: 2, 30: 2, 31: 2, 32: 4,
  33: 2, 34: 2, 35: 2, 36: 2, 37: 2, 38: 2, 39: 2, 40: 2, 41: 2, 42: 2, 43: 2, 44: 1, 45: 0, 46: 0, 47: -1, 48: 1,
  49: 1, 50: 0, 51: 0, 55: 0, 56: 0, 57: 0, 60: 0, 61: 0, 64: 0, 65: 0, 66: 0, 67: 0, 68: 0,
};

/** True when `version` of `apiKey` uses compact fields and tagged fields (KIP-482). */
export function isFlexible(apiKey: number, version: number): boolean {
  const first = FIRST_FLEXIBLE[apiKey] ?? -1;
  return first >= 0 && version >= first;
}

export interface RequestFrame {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** The request body, after the header (and the header's tagged fields). */
  body: Buffer;
}

export interface ResponseFrame {
  correlationId: number;
  /** The response body, after the header (and the header's tagged fields). */
  body: Buffer;
}

/** Parses a request frame's payload (the bytes after the 4-byte size). */
export function decodeRequest(payload: Buffer): RequestFrame {
  const r = new Reader(payload);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString(); // header v1 and v2 both keep the int16-length client id
  if (isFlexible(apiKey, apiVersion)) r.skipTaggedFields();
  return { apiKey, apiVersion, correlationId, clientId, body: payload.subarray(r.offset) };
}

/** A whole request frame (size prefix included) for `f`. */
export function encodeRequest(f: RequestFrame): Buffer {
  const w = new Writer().int16(f.apiKey).int16(f.apiVersion).int32(f.correlationId).nullableString(f.clientId);
  if (isFlexible(f.apiKey, f.apiVersion)) w.uvarint(0);
  return w.bytesRaw(f.body).frame();
}

/**
 * Response header v1 (with tagged fields) goes with flexible request versions, except
 * ApiVersions, whose response header is always v0 so a client can read it before it knows
 * which versions the broker speaks (KIP-511).
 */
export function responseHeaderFlexible(apiKey: number, version: number): boolean {
  return apiKey !== ApiKey.ApiVersions && isFlexible(apiKey, version);
}

/** Parses a response frame's payload for a request of `apiKey`/`version`. */
export function decodeResponse(payload: Buffer, apiKey: number, version: number): ResponseFrame {
  const r = new Reader(payload);
  const correlationId = r.int32();
  if (responseHeaderFlexible(apiKey, version)) r.skipTaggedFields();
  return { correlationId, body: payload.subarray(r.offset) };
}

/** A whole response frame (size prefix included) answering `apiKey`/`version`. */
export function encodeResponse(apiKey: number, version: number, correlationId: number, body: Buffer): Buffer {
  const w = new Writer().int32(correlationId);
  if (responseHeaderFlexible(apiKey, version)) w.uvarint(0);
  return w.bytesRaw(body).frame();
}

/** Splits a byte stream into frame payloads (the 4-byte big-endian size prefix removed). */
export class FrameSplitter {
  // Chunks are joined only once a whole frame is in: a 1 MB Fetch answer arrives in 64 KB
  // pieces, and joining at every piece would copy it 16 times.
  private chunks: Buffer[] = [];
  private length = 0;
  constructor(private readonly maxFrame = 100 * 1024 * 1024) {}

  /** Adds bytes; returns the complete payloads they finish. Throws on an absurd size. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const out: Buffer[] = [];
    while (this.length >= 4) {
      if (this.chunks[0]!.length < 4) this.join();
      const size = this.chunks[0]!.readInt32BE(0);
      if (size < 0 || size > this.maxFrame) throw new Error(`Kafka frame of ${size} bytes: not the Kafka protocol (or TLS spoken to a plaintext port)`);
      if (this.length < 4 + size) break;
      if (this.chunks[0]!.length < 4 + size) this.join();
      const first = this.chunks[0]!;
      out.push(first.subarray(4, 4 + size));
      if (first.length === 4 + size) this.chunks.shift();
      else this.chunks[0] = first.subarray(4 + size);
      this.length -= 4 + size;
    }
    return out;
  }

  private join(): void {
    this.chunks = [Buffer.concat(this.chunks, this.length)];
  }
}

export class Reader {
  offset = 0;
  constructor(readonly buf: Buffer, offset = 0) { this.offset = offset; }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new RangeError(`Kafka message truncated: need ${n} bytes at ${this.offset} of ${this.buf.length}`);
  }
  int8(): number { this.need(1); const v = this.buf.readInt8(this.offset); this.offset += 1; return v; }
  int16(): number { this.need(2); const v = this.buf.readInt16BE(this.offset); this.offset += 2; return v; }
  int32(): number { this.need(4); const v = this.buf.readInt32BE(this.offset); this.offset += 4; return v; }
  int64(): bigint { this.need(8); const v = this.buf.readBigInt64BE(this.offset); this.offset += 8; return v; }
  uvarint(): number {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1);
      const b = this.buf[this.offset++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
    throw new RangeError(`Kafka varint longer than 5 bytes at ${this.offset}`);
  }
  varint(): number { const u = this.uvarint(); return u % 2 === 0 ? u / 2 : -(u + 1) / 2; }
  raw(n: number): Buffer { this.need(n); const v = this.buf.subarray(this.offset, this.offset + n); this.offset += n; return v; }

  string(): string { const s = this.nullableString(); if (s === null) throw new RangeError(`null string at ${this.offset}`); return s; }
  nullableString(): string | null { const n = this.int16(); return n < 0 ? null : this.raw(n).toString('utf8'); }
  compactString(): string { const s = this.compactNullableString(); if (s === null) throw new RangeError(`null string at ${this.offset}`); return s; }
  compactNullableString(): string | null { const n = this.uvarint() - 1; return n < 0 ? null : this.raw(n).toString('utf8'); }
  /** A string, compact or not. */
  str(flexible: boolean): string { return flexible ? this.compactString() : this.string(); }
  nullableStr(flexible: boolean): string | null { return flexible ? this.compactNullableString() : this.nullableString(); }
  bytes(flexible: boolean): Buffer | null {
    const n = flexible ? this.uvarint() - 1 : this.int32();
    return n < 0 ? null : this.raw(n);
  }
  /** An array length, compact or not; -1 for a null array. */
  arrayLength(flexible: boolean): number { return flexible ? this.uvarint() - 1 : this.int32(); }
  skipTaggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) { this.uvarint(); this.raw(this.uvarint()); }
  }
  /** Tagged fields as raw bytes (count included), to copy them unchanged. */
  taggedFieldsRaw(): Buffer { const start = this.offset; this.skipTaggedFields(); return this.buf.subarray(start, this.offset); }
  rest(): Buffer { return this.raw(this.buf.length - this.offset); }
}

export class Writer {
  private parts: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): this { this.parts.push(b); this.size += b.length; return this; }
  private fixed(n: number, write: (b: Buffer) => void): this { const b = Buffer.alloc(n); write(b); return this.push(b); }
  int8(v: number): this { return this.fixed(1, (b) => b.writeInt8(v)); }
  int16(v: number): this { return this.fixed(2, (b) => b.writeInt16BE(v)); }
  int32(v: number): this { return this.fixed(4, (b) => b.writeInt32BE(v)); }
  int64(v: bigint): this { return this.fixed(8, (b) => b.writeBigInt64BE(v)); }
  uvarint(v: number): this {
    const out: number[] = [];
    while (v >= 0x80) { out.push((v % 0x80) | 0x80); v = Math.floor(v / 0x80); }
    out.push(v);
    return this.push(Buffer.from(out));
  }
  varint(v: number): this { return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1); }
  bytesRaw(b: Buffer): this { return this.push(b); }

  string(s: string): this { return this.nullableString(s); }
  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    return this.int16(b.length).push(b);
  }
  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const b = Buffer.from(s, 'utf8');
    return this.uvarint(b.length + 1).push(b);
  }
  str(s: string, flexible: boolean): this { return flexible ? this.compactNullableString(s) : this.nullableString(s); }
  nullableStr(s: string | null, flexible: boolean): this { return flexible ? this.compactNullableString(s) : this.nullableString(s); }
  bytes(b: Buffer | null, flexible: boolean): this {
    if (b === null) return flexible ? this.uvarint(0) : this.int32(-1);
    return (flexible ? this.uvarint(b.length + 1) : this.int32(b.length)).push(b);
  }
  arrayLength(n: number, flexible: boolean): this { return flexible ? this.uvarint(n + 1) : this.int32(n); }
  /** An empty tagged-field section. */
  noTags(): this { return this.uvarint(0); }

  build(): Buffer { return Buffer.concat(this.parts, this.size); }
  /** The bytes with their 4-byte size prefix: a whole frame. */
  frame(): Buffer { const head = Buffer.alloc(4); head.writeInt32BE(this.size); return Buffer.concat([head, ...this.parts], 4 + this.size); }
}
