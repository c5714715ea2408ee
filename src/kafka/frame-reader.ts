import type { Socket } from 'node:net';
import { patchKafkajs } from './kafkajs-patch.ts';

/**
 * Reads a plaintext Kafka connection frame by frame (a 4-byte size, then that many bytes), straight
 * into each response's own buffer, and hands kafkajs one 'data' event per whole response.
 *
 * Without it every 64 KB read is a fresh buffer, and kafkajs concatenates a response's reads into
 * another (connection.js processData): every fetched byte copied twice, and on YSB's 1M events
 * ~260 MB of buffers made and dropped a round. Measured on 2 cores: Buffer.concat was ~0.35 s of
 * the ~2.7 CPU s a round, and its garbage drives V8's external-memory collections. Here a big
 * response is allocated once, at its size, and the socket reads into it (net's `onread`); the
 * source then decodes its records in place (protocol.ts RecordColumns), so a fetched value's bytes
 * are copied only by the kernel. Small responses are read into one reused buffer and copied out.
 *
 * kafkajs needs one fix for that (keepWholeResponses below).
 *
 * A size above MAX_FRAME is no Kafka response this client asks for (a TLS server's alert reads as
 * ~350 MB): from there the bytes pass through as they come, and kafkajs judges them as before.
 */
const SCRATCH = 64 * 1024;
const MAX_FRAME = 256 * 1024 * 1024;

export class FrameReader {
  private socket: Socket | null = null;
  private readonly scratch = Buffer.allocUnsafe(SCRATCH);
  /** Bytes in scratch not yet handed on. */
  private held = 0;
  /** The response being read into its own buffer, and how much of it has come. */
  private frame: Buffer | null = null;
  private filled = 0;
  private passThrough = false;

  /** For net.connect's `onread`. */
  readonly onread = {
    buffer: (): Uint8Array => (this.frame ? this.frame.subarray(this.filled) : this.scratch.subarray(this.held)),
    callback: (n: number): boolean => { this.took(n); return true; },
  };

  /** The socket the frames are emitted on (as its 'data' events, which `onread` stops). */
  attach(socket: Socket): void { this.socket = socket; }

  private took(n: number): void {
    if (this.frame) {
      this.filled += n;
      if (this.filled === this.frame.length) {
        const f = this.frame;
        this.frame = null;
        this.emit(f);
      }
      return;
    }
    this.held += n;
    if (this.passThrough) { this.emitRest(0); return; }
    let at = 0;
    while (this.held - at >= 4) {
      const size = this.scratch.readInt32BE(at);
      const total = 4 + size;
      if (size < 0 || total > MAX_FRAME) {
        this.passThrough = true;
        break;
      }
      if (total <= this.held - at) {
        this.emit(Buffer.from(this.scratch.subarray(at, at + total)));
        at += total;
        continue;
      }
      if (total > SCRATCH) {
        // The rest of this response is read into its own buffer.
        this.frame = Buffer.allocUnsafe(total);
        this.filled = this.scratch.copy(this.frame, 0, at, this.held);
        at = this.held;
      }
      break;
    }
    if (this.passThrough) { this.emitRest(at); return; }
    // Whatever is left is the start of a response that fits in scratch: move it to the front.
    if (at > 0) {
      this.scratch.copy(this.scratch, 0, at, this.held);
      this.held -= at;
    }
  }

  /** Hands on scratch's bytes from `at` as they are (a copy: scratch is read into again). */
  private emitRest(at: number): void {
    const end = this.held;
    this.held = 0;
    if (end > at) this.emit(Buffer.from(this.scratch.subarray(at, end)));
  }

  private emit(b: Buffer): void { this.socket?.emit('data', b); }
}

interface KafkajsConnection { chunks: Buffer[]; bytesBuffered: number; processData(raw: Buffer): unknown }

/**
 * kafkajs 2.2.4 keeps an empty remainder after each response (`this.chunks = [remainderBuffer]`),
 * so the next response, even one that came whole, is two chunks and copied by Buffer.concat. An
 * empty remainder is dropped first here; every other case goes through kafkajs's own code. A no-op
 * for a connection that never has one.
 */
export function keepWholeResponses(): void {
  patchKafkajs<KafkajsConnection, 'processData'>('network/connection.js', 'processData', 'sluice.kafkajs.wholeResponses', (processData) =>
    function (this: KafkajsConnection, raw: Buffer): unknown {
      if (this.chunks.length === 1 && this.chunks[0]!.length === 0) { this.chunks = []; this.bytesBuffered = 0; }
      return processData.call(this, raw);
    });
}
