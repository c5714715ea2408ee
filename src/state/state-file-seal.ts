import { crc32 } from 'node:zlib';
import * as A from 'apache-arrow';

/**
 * A state file is an Arrow IPC stream followed by a 16-byte seal: `SLCK`, the stream's length
 * and its CRC-32 (little endian). Arrow's stream reader stops at the end-of-stream marker, so
 * the file stays a plain Arrow stream to any reader. The seal is there because Arrow alone does
 * not catch damage: a stream cut at a message boundary reads as fewer rows without an error
 * (measured with apache-arrow 21: tableFromIPC of a stream less its last 8 bytes gave every row
 * of the first batches and no error), and a flipped bit in a value is read as that value.
 * Files written before the seal (checkpoints.example) have none; for them the end-of-stream
 * marker is the only check there is.
 */
const MAGIC = 0x4b434c53; // "SLCK" read as a little-endian uint32
const SEAL_BYTES = 16;
const EOS = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];

export function sealStateFile(ipc: Uint8Array): Uint8Array {
  const out = new Uint8Array(ipc.length + SEAL_BYTES);
  out.set(ipc);
  return sealAt(out, ipc.length);
}

/** Write the seal of `out[0, len)` into `out[len, len + 16)`. */
function sealAt(out: Uint8Array, len: number): Uint8Array {
  writeSeal(new DataView(out.buffer, out.byteOffset + len, SEAL_BYTES), len, crc32(out.subarray(0, len)));
  return out;
}

function writeSeal(v: DataView, len: number, crc: number): void {
  v.setUint32(0, MAGIC, true);
  // Length as two words: a snapshot can pass 4 GiB no sooner than the heap does, but the seal should not be what breaks.
  v.setUint32(4, len % 0x1_0000_0000, true);
  v.setUint32(8, Math.floor(len / 0x1_0000_0000), true);
  v.setUint32(12, crc, true);
}

/** Keeps the writer's chunks (views of the columns' buffers and the messages' headers): the file's parts (sealedParts). */
class Chunks extends A.AsyncByteQueue {
  readonly parts: Uint8Array[] = [];
  length = 0;
  override write(value: Uint8Array): void { this.parts.push(value); this.length += value.byteLength; }
}

/**
 * An Arrow stream writer whose stream becomes a sealed state file with no copy: its parts are the
 * writer's chunks (the columns' own buffers and the messages' headers) and the seal, for a storage
 * write of parts (Storage.write's FileBytes; locally one writev). tableToIPC joins the chunks into
 * one buffer and sealStateFile copies that again; measured at 1M keys, each was a fresh 39 MB
 * buffer at 40–100 ms (most of it page faults), and the one copy into a sealed buffer that
 * replaced them still 100–135 ms of a 1M-key batch's commit.
 * Joined, the parts are the bytes of sealStateFile(tableToIPC(...)) (test/state-file-seal.test.ts).
 */
export class SealedStreamWriter {
  private readonly chunks = new Chunks();
  private readonly writer = new A.RecordBatchStreamWriter();
  private started = false;

  /** Start the stream with `schema` (as tableToIPC does, so a table with no batches is still a stream). */
  start(schema: A.Schema): this {
    this.writer.reset(this.chunks, schema);
    this.started = true;
    return this;
  }

  /** The first batch starts the stream with its schema when start() was not called (as RecordBatchStreamWriter's write). */
  write(b: A.RecordBatch): this {
    if (!this.started) this.start(b.schema);
    this.writer.write(b);
    return this;
  }

  /** End the stream and return the file's parts, seal included: views of the batches' columns, which must not change until they are written. */
  sealedParts(): Uint8Array[] {
    this.writer.finish();
    const { parts, length } = this.chunks;
    let crc = 0;
    for (const p of parts) crc = crc32(p, crc);
    const seal = new Uint8Array(SEAL_BYTES);
    writeSeal(new DataView(seal.buffer), length, crc);
    return [...parts, seal];
  }
}

/** The Arrow stream of a state file, or a sentence saying how the file is damaged. */
export function openStateFile(bytes: Uint8Array): { ipc: Uint8Array } | { damage: string } {
  const n = bytes.length;
  if (n >= SEAL_BYTES) {
    const v = new DataView(bytes.buffer, bytes.byteOffset + n - SEAL_BYTES, SEAL_BYTES);
    if (v.getUint32(0, true) === MAGIC) {
      const len = v.getUint32(4, true) + v.getUint32(8, true) * 0x1_0000_0000;
      if (len !== n - SEAL_BYTES) return { damage: `its seal records ${len} bytes of Arrow data but ${n - SEAL_BYTES} are there` };
      const ipc = bytes.subarray(0, len);
      const want = v.getUint32(12, true), got = crc32(ipc);
      if (want !== got) return { damage: `its CRC-32 is ${hex(got)} but its seal records ${hex(want)}` };
      return { ipc };
    }
  }
  // No seal: a file from before the seal, or a sealed file cut short (its seal is what went).
  if (n < EOS.length || EOS.some((b, i) => bytes[n - EOS.length + i] !== b)) {
    return { damage: `it ends without a seal and without Arrow's end-of-stream marker (${n} bytes), so it was cut short` };
  }
  return { ipc: bytes };
}

const hex = (x: number): string => `0x${x.toString(16).padStart(8, '0')}`;
