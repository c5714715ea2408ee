// One client connection to the front: frames from the client are (after SASL, if enabled)
// shown to the hooks and forwarded to the matching mock broker on a connection of its own;
// answers come back with broker addresses rewritten to the front's ports, in request order.
import { connect, type Socket } from 'node:net';
import {
  decodeApiVersionsResponse, encodeApiVersionsResponse, FIND_COORDINATOR_MAX_VERSION, METADATA_MAX_VERSION,
  produceAcks, rewriteFindCoordinator, rewriteMetadataBrokers, setApiVersions, UNSUPPORTED_VERSION,
  type ApiVersionRange, type BrokerAddress,
} from './codecs.ts';
import { ApiKey, decodeRequest, decodeResponse, encodeResponse, FrameSplitter, type ResponseFrame } from './frames.ts';
import type { ConnectionInfo, FrontBroker, FrontHook, HookRequest } from './hooks.ts';
import { SaslExchange, type SaslConfig } from './sasl.ts';

export interface ConnectionContext {
  hooks: readonly FrontHook[];
  /** The front's address for a mock broker's node id (unknown ids are kept as they are). */
  frontAddress(b: BrokerAddress): BrokerAddress;
  sasl: SaslConfig | undefined;
  log(line: string): void;
}

/** An answer the client is owed, written once it and every earlier one are ready. */
interface Slot { frame: Buffer | undefined; closeAfter: boolean }

export class ClientConnection {
  private readonly upstream: Socket;
  private readonly slots: Slot[] = [];
  private readonly forwarded = new Map<number, { req: HookRequest; slot: Slot }>();
  private readonly sasl: SaslExchange | undefined;
  private requests: Promise<void> = Promise.resolve();
  private responses: Promise<void> = Promise.resolve();
  private closed = false;
  readonly info: ConnectionInfo;

  constructor(private readonly client: Socket, id: number, readonly broker: FrontBroker, private readonly ctx: ConnectionContext) {
    this.info = { id, brokerId: broker.nodeId, user: null };
    this.sasl = ctx.sasl && new SaslExchange(ctx.sasl);
    this.upstream = connect({ host: broker.mock.host, port: broker.mock.port });

    const fromClient = new FrameSplitter();
    client.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try { frames = fromClient.push(chunk); } catch (e) { return this.close(`client: ${(e as Error).message}`); }
      for (const f of frames) this.requests = this.requests.then(() => this.onRequest(f)).catch((e) => this.close(`request: ${(e as Error).stack}`));
    });
    const fromBroker = new FrameSplitter();
    this.upstream.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try { frames = fromBroker.push(chunk); } catch (e) { return this.close(`mock broker: ${(e as Error).message}`); }
      for (const f of frames) this.responses = this.responses.then(() => this.onResponse(f)).catch((e) => this.close(`response: ${(e as Error).stack}`));
    });
    client.on('error', (e) => this.close(`client error: ${e.message}`));
    client.on('close', () => this.close('client closed'));
    this.upstream.on('error', (e) => this.close(`mock broker ${broker.nodeId} error: ${e.message}`));
    this.upstream.on('close', () => this.close(`mock broker ${broker.nodeId} closed`));
  }

  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.log(`connection ${this.info.id} (broker ${this.broker.nodeId}) closed: ${why}`);
    this.client.destroy();
    this.upstream.destroy();
  }

  private async onRequest(payload: Buffer): Promise<void> {
    if (this.closed) return;
    const frame = decodeRequest(payload);
    const req: HookRequest = { ...frame, connection: this.info };

    if (this.sasl && (req.apiKey === ApiKey.SaslHandshake || req.apiKey === ApiKey.SaslAuthenticate)) {
      const answer = this.sasl.answer(req);
      if (answer.user !== null) this.info.user = answer.user;
      const slot: Slot = { frame: encodeResponse(req.apiKey, req.apiVersion, req.correlationId, answer.body), closeAfter: answer.close };
      this.slots.push(slot);
      return this.flush();
    }
    // A broker closes a connection that skips authentication; ApiVersions comes before it.
    if (this.sasl && !this.sasl.authenticated && req.apiKey !== ApiKey.ApiVersions) {
      return this.close(`api key ${req.apiKey} before SASL authentication`);
    }

    const answered = req.apiKey === ApiKey.Produce && produceAcks(req.apiVersion, req.body) === 0 ? undefined : { frame: undefined, closeAfter: false };
    if (answered) this.slots.push(answered);
    for (const hook of this.ctx.hooks) {
      const body = await hook.onRequest?.(req);
      if (body) {
        if (answered) await this.answer(req, answered, { correlationId: req.correlationId, body });
        return;
      }
    }
    if (answered) this.forwarded.set(req.correlationId, { req, slot: answered });
    const head = Buffer.alloc(4);
    head.writeInt32BE(payload.length);
    if (!this.upstream.write(Buffer.concat([head, payload]))) this.throttle(this.client, this.upstream);
  }

  /** Stops reading `from` until `to` has written out what it holds. */
  private throttle(from: Socket, to: Socket): void {
    if (from.isPaused()) return;
    from.pause();
    to.once('drain', () => from.resume());
  }

  private async onResponse(payload: Buffer): Promise<void> {
    if (this.closed) return;
    const correlationId = payload.readInt32BE(0);
    const pending = this.forwarded.get(correlationId);
    if (!pending) return this.close(`mock broker answered correlation id ${correlationId}, which the client did not send or expects no answer to`);
    this.forwarded.delete(correlationId);
    const { req, slot } = pending;
    const res = decodeResponse(payload, req.apiKey, req.apiVersion);
    await this.answer(req, slot, { correlationId, body: this.rewrite(req, res.body) });
  }

  private async answer(req: HookRequest, slot: Slot, res: ResponseFrame): Promise<void> {
    let body = res.body;
    for (const hook of this.ctx.hooks) if (hook.onResponse) body = await hook.onResponse(req, { correlationId: res.correlationId, body });
    slot.frame = encodeResponse(req.apiKey, req.apiVersion, req.correlationId, body);
    this.flush();
  }

  /** Broker addresses to the front's ports; ApiVersions capped to what the front reads, plus SASL. */
  private rewrite(req: HookRequest, body: Buffer): Buffer {
    const map = (b: BrokerAddress): BrokerAddress => this.ctx.frontAddress(b);
    switch (req.apiKey) {
      case ApiKey.Metadata: return rewriteMetadataBrokers(req.apiVersion, body, map);
      case ApiKey.FindCoordinator: return rewriteFindCoordinator(req.apiVersion, body, map);
      case ApiKey.ApiVersions: {
        const a = decodeApiVersionsResponse(req.apiVersion, body);
        // The mock answers an ApiVersions version it lacks in v0 with this error; the client retries lower.
        if (a.errorCode === UNSUPPORTED_VERSION) return body;
        const cap = (apiKey: number, max: number): void => {
          const r = a.apis.find((x) => x.apiKey === apiKey);
          if (r) setApiVersions(a, { ...r, maxVersion: Math.min(r.maxVersion, max) });
        };
        cap(ApiKey.Metadata, METADATA_MAX_VERSION);
        cap(ApiKey.FindCoordinator, FIND_COORDINATOR_MAX_VERSION);
        if (this.sasl) for (const r of SASL_APIS) setApiVersions(a, r);
        return encodeApiVersionsResponse(req.apiVersion, a);
      }
      default: return body;
    }
  }

  private flush(): void {
    while (this.slots[0]?.frame) {
      const slot = this.slots.shift()!;
      if (this.closed) return;
      // A slow reader holds the mock back instead of piling answers up in this process.
      if (!this.client.write(slot.frame!)) this.throttle(this.upstream, this.client);
      if (slot.closeAfter) {
        // end() lets the answer (the authentication error) reach the client before the close.
        this.closed = true;
        this.ctx.log(`connection ${this.info.id} closed after a failed SASL exchange`);
        this.upstream.destroy();
        this.client.end();
        return;
      }
    }
  }
}

/**
 * SaslHandshake v0 is listed though only v1 is answered (v0 means raw tokens without Kafka
 * framing, which no client of ours sends): librdkafka 2.0.2 enables SASL only when the broker's
 * range holds v0 (rdkafka_feature.c, RD_KAFKA_FEATURE_SASL_HANDSHAKE), and says "SASL Handshake
 * not supported by broker" otherwise; it then sends v1, as kafkajs does.
 */
const SASL_APIS: readonly ApiVersionRange[] = [
  { apiKey: ApiKey.SaslHandshake, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.SaslAuthenticate, minVersion: 0, maxVersion: 2 },
];
