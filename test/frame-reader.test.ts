// kafka/frame-reader.ts: a plaintext Kafka connection read frame by frame. A real TCP server writes
// size-prefixed frames cut at every kind of place (inside the size, inside a small frame, several
// frames in one write, a big frame over many reads); the client's socket must emit each frame whole,
// once, in order, byte for byte. A size no Kafka response has (a TLS alert) passes through as it came.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameReader } from '../src/kafka/frame-reader.ts';
import { mulberry32 } from './support/prng.ts';

let server: Server | null = null;
afterEach(async () => { await new Promise<void>((r) => (server ? server.close(() => r()) : r())); server = null; });

/** A server that writes `pieces` one by one (each its own write, a pause between) to the first client, then ends. */
async function serve(pieces: Buffer[]): Promise<number> {
  server = createServer((s) => {
    void (async () => {
      for (const p of pieces) {
        s.write(p);
        await new Promise((r) => setTimeout(r, 1)); // separate reads on the client, mostly
      }
      s.end();
    })();
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** Every 'data' event of a client reading through a FrameReader, until the server ends. */
async function readAll(port: number): Promise<Buffer[]> {
  const frames = new FrameReader();
  const socket: Socket = connect({ host: '127.0.0.1', port, onread: frames.onread });
  frames.attach(socket);
  const got: Buffer[] = [];
  socket.on('data', (b: Buffer) => got.push(b));
  await new Promise<void>((resolve, reject) => { socket.on('end', resolve); socket.on('error', reject); });
  socket.destroy();
  return got;
}

function frame(size: number, rnd: () => number): Buffer {
  const b = Buffer.allocUnsafe(4 + size);
  b.writeInt32BE(size, 0);
  for (let i = 4; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

/** `bytes` cut at the given positions. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const a of [...at, bytes.length]) { out.push(bytes.subarray(from, a)); from = a; }
  return out.filter((p) => p.length > 0);
}

describe('FrameReader', () => {
  it('emits each frame whole and once, wherever the writes cut them', async () => {
    const rnd = mulberry32(11);
    // small frames (one read holds several), empty ones, frames just over the 64 KB scratch, big ones
    const sizes = [0, 5, 17, 3, 65_532, 65_533, 65_536, 200_000, 1, 0, 2_000_000, 9, 70_000, 12, 4, 1_000_000, 0];
    const frames = sizes.map((n) => frame(n, rnd));
    const all = Buffer.concat(frames);
    // cuts: inside a size field, right after one, inside small and big frames, and at random places
    const cuts = new Set<number>([2, 6, 9, 30, 33]);
    for (let i = 0; i < 60; i++) cuts.add(Math.floor(rnd() * all.length));
    const got = await readAll(await serve(cut(all, [...cuts].sort((a, b) => a - b))));
    expect(got.map((b) => b.length)).toEqual(frames.map((b) => b.length));
    got.forEach((b, i) => expect(b.equals(frames[i]!)).toBe(true));
  });

  it('a big frame is read into a buffer of its own size (no copy to join its reads)', async () => {
    const rnd = mulberry32(12);
    const big = frame(3_000_000, rnd);
    const got = await readAll(await serve(cut(big, [3, 100_000, 1_500_000])));
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(big)).toBe(true);
    expect(got[0]!.byteOffset).toBe(0);
    expect(got[0]!.buffer.byteLength).toBe(big.length);
  });

  it('bytes whose size field is no Kafka response (a TLS alert) pass through as they come', async () => {
    const alert = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
    const got = await readAll(await serve([alert, Buffer.from('more')]));
    expect(Buffer.concat(got).equals(Buffer.concat([alert, Buffer.from('more')]))).toBe(true);
    expect(got[0]![0]).toBe(0x15);
  });
});
