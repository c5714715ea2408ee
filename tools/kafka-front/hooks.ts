// The interface a layer on top of the front implements (transactions.ts on branch front-txn):
// it sees every request and answer that passes through, may answer a request itself or
// replace an answer's body, and may talk to the mock brokers directly.
import type { BrokerAddress } from './codecs.ts';
import type { RequestFrame, ResponseFrame } from './frames.ts';

/** One client connection to the front. */
export interface ConnectionInfo {
  /** Unique within one front. */
  id: number;
  /** The mock broker this connection's port stands for. */
  brokerId: number;
  /** The authenticated SASL user; null without SASL. */
  user: string | null;
}

export interface HookRequest extends RequestFrame {
  connection: ConnectionInfo;
}

export interface FrontHook {
  /**
   * Called for each request, in the order the client sent them, before it is forwarded (the
   * next request waits while this promise is pending). Return a Buffer to answer the request
   * with that response body (after the header) instead of forwarding it; return nothing to forward.
   * SaslHandshake and SaslAuthenticate are the front's own and never reach hooks.
   */
  onRequest?(req: HookRequest): void | Buffer | Promise<void | Buffer>;
  /**
   * Called for each answer, in every hook's order: a forwarded one after the front rewrote its
   * broker addresses (Metadata, FindCoordinator) and ApiVersions table, or one a hook's onRequest
   * gave (not rewritten: it is the hook's own). Returns the body the client gets (`res.body` to
   * keep it). Answers reach the client in request order whatever order they are ready in.
   */
  onResponse?(req: HookRequest, res: ResponseFrame): Buffer | Promise<Buffer>;
  /** Called once when the front stops. */
  close?(): void | Promise<void>;
}

export interface FrontBroker {
  nodeId: number;
  /** Where the mock broker listens. */
  mock: BrokerAddress;
  /** Where the front listens for it (the address clients are told). */
  front: BrokerAddress;
}

/** What the front offers a hook. */
export interface FrontControl {
  brokers: readonly FrontBroker[];
  /**
   * Sends one request of the front's own to mock broker `brokerId` and resolves with the answer's
   * body. The request must have an answer (not Produce with acks=0).
   */
  send(brokerId: number, apiKey: number, apiVersion: number, body: Buffer): Promise<Buffer>;
  /** The partition's leader broker id, asked of the mock now (leaders move: see the `leader` command). */
  leaderOf(topic: string, partition: number): Promise<number>;
}

/** How a hook is given to the front: built once the front knows the brokers. */
export type HookFactory = (front: FrontControl) => FrontHook;

export type { ResponseFrame, RequestFrame };
