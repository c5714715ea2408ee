// The front's own client connection to one mock broker: requests a hook (or the front, for
// partition leaders) sends itself, with its own correlation ids.
import { connect, type Socket } from 'node:net';
import type { BrokerAddress } from './codecs.ts';
import { decodeResponse, encodeRequest, FrameSplitter } from './frames.ts';

interface Pending { apiKey: number; apiVersion: number; resolve: (body: Buffer) => void; reject: (e: Error) => void }

export class UpstreamClient {
  private socket: Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelation = 1;

  constructor(readonly address: BrokerAddress, private readonly clientId = 'kafka-front') {}

  /** Sends one request and resolves with its answer's body (after the response header). */
  request(apiKey: number, apiVersion: number, body: Buffer): Promise<Buffer> {
    const socket = this.connection();
    const correlationId = this.nextCorrelation++;
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, { apiKey, apiVersion, resolve, reject });
      socket.write(encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.clientId, body }));
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connection(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const { host, port } = this.address;
    const socket = connect({ host, port });
    const splitter = new FrameSplitter();
    const failAll = (e: Error): void => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      if (this.socket === socket) this.socket = undefined;
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const payload of splitter.push(chunk)) {
          const correlationId = payload.readInt32BE(0);
          const p = this.pending.get(correlationId);
          if (!p) throw new Error(`mock broker ${host}:${port} answered correlation id ${correlationId}, which the front never sent`);
          this.pending.delete(correlationId);
          p.resolve(decodeResponse(payload, p.apiKey, p.apiVersion).body);
        }
      } catch (e) {
        socket.destroy(e as Error);
      }
    });
    socket.on('error', (e) => failAll(new Error(`front's connection to mock broker ${host}:${port}: ${e.message}`)));
    socket.on('close', () => failAll(new Error(`front's connection to mock broker ${host}:${port} closed`)));
    this.socket = socket;
    return socket;
  }
}
