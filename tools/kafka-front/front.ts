// A Kafka-protocol front for the test broker (librdkafka's mock cluster, which speaks neither
// TLS nor SASL): one listener per mock broker, TLS and SASL ended here, every other frame
// forwarded to that broker, broker addresses in answers pointed back at the front.
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { decodeMetadataResponse, encodeMetadataRequestAllTopics, type BrokerAddress } from './codecs.ts';
import { ClientConnection } from './connection.ts';
import { ApiKey } from './frames.ts';
import type { FrontBroker, FrontControl, FrontHook, HookFactory } from './hooks.ts';
import { SASL_MECHANISMS, type SaslConfig } from './sasl.ts';
import { UpstreamClient } from './upstream.ts';

export interface KafkaFrontOptions {
  /** The mock cluster's bootstrap list (any one broker is asked for the others). */
  bootstrap: string;
  /** The address the front listens on and tells clients; default 127.0.0.1. */
  host?: string;
  /** PEM key and certificate: the listeners speak TLS. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Enabled SASL mechanisms and users: every client must authenticate first. */
  sasl?: SaslConfig;
  /** Layers over the forwarding, in order (e.g. transactions.ts). */
  hooks?: readonly HookFactory[];
  /** Where connection events go (why a connection closed); default nowhere. */
  log?: (line: string) => void;
}

export interface KafkaFront {
  /** The front's bootstrap list, host:port per broker. */
  bootstrap: string;
  brokers: readonly FrontBroker[];
  control: FrontControl;
  stop(): Promise<void>;
}

export async function startKafkaFront(opts: KafkaFrontOptions): Promise<KafkaFront> {
  for (const m of opts.sasl?.mechanisms ?? []) {
    if (!SASL_MECHANISMS.includes(m)) throw new Error(`kafka-front: SASL mechanism ${m} is not supported; use one of ${SASL_MECHANISMS.join(', ')}`);
  }
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const mockBrokers = await discoverBrokers(opts.bootstrap);

  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const connections = new Set<ClientConnection>();
  const brokers: FrontBroker[] = [];
  const upstreams = new Map<number, UpstreamClient>();
  let hooks: FrontHook[] = [];
  let nextConnection = 1;

  const byNode = new Map<number, FrontBroker>();
  const ctx = {
    get hooks() { return hooks; },
    frontAddress: (b: BrokerAddress): BrokerAddress => byNode.get(b.nodeId)?.front ?? b,
    sasl: opts.sasl,
    log,
  };

  try {
    for (const mock of mockBrokers) {
      const broker: FrontBroker = { nodeId: mock.nodeId, mock, front: { nodeId: mock.nodeId, host, port: 0 } };
      const onSocket = (socket: Socket): void => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        const c = new ClientConnection(socket, nextConnection++, broker, ctx);
        connections.add(c);
        socket.once('close', () => connections.delete(c));
      };
      const server = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, onSocket) : createTcpServer(onSocket);
      // A client speaking plaintext to a TLS port: the handshake fails and the socket is closed.
      server.on('tlsClientError', (e: Error) => log(`TLS handshake failed on broker ${mock.nodeId}'s port: ${e.message}`));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => { server.off('error', reject); resolve(); });
      });
      servers.push(server);
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('kafka-front: listener has no TCP address');
      broker.front.port = address.port;
      brokers.push(broker);
      byNode.set(broker.nodeId, broker);
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }

  const upstream = (brokerId: number): UpstreamClient => {
    let u = upstreams.get(brokerId);
    if (!u) {
      const b = byNode.get(brokerId);
      if (!b) throw new Error(`kafka-front: no mock broker ${brokerId} (brokers are ${[...byNode.keys()].join(', ')})`);
      u = new UpstreamClient(b.mock);
      upstreams.set(brokerId, u);
    }
    return u;
  };
  const control: FrontControl = {
    brokers,
    send: (brokerId, apiKey, apiVersion, body) => upstream(brokerId).request(apiKey, apiVersion, body),
    async leaderOf(topic: string, partition: number): Promise<number> {
      const body = await upstream(brokers[0]!.nodeId).request(ApiKey.Metadata, 1, encodeMetadataRequestAllTopics());
      const t = decodeMetadataResponse(1, body).topics.find((x) => x.name === topic);
      const p = t?.partitions.find((x) => x.partition === partition);
      if (!p || p.leader < 0) throw new Error(`kafka-front: the mock knows no leader for ${topic}/${partition}${t ? '' : ' (no such topic)'}`);
      return p.leader;
    },
  };
  hooks = (opts.hooks ?? []).map((make) => make(control));

  let stopping: Promise<void> | undefined;
  return {
    bootstrap: brokers.map((b) => `${b.front.host}:${b.front.port}`).join(','),
    brokers,
    control,
    stop: () => (stopping ??= (async () => {
      for (const c of connections) c.close('front stopped');
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      for (const u of upstreams.values()) u.close();
      for (const h of hooks) await h.close?.();
    })()),
  };
}

/** The mock's brokers, from a Metadata answer of the first bootstrap broker. */
async function discoverBrokers(bootstrap: string): Promise<BrokerAddress[]> {
  const first = bootstrap.split(',')[0]!.trim();
  const colon = first.lastIndexOf(':');
  if (colon < 0) throw new Error(`kafka-front: bootstrap "${bootstrap}" is not host:port`);
  const client = new UpstreamClient({ nodeId: -1, host: first.slice(0, colon), port: Number(first.slice(colon + 1)) });
  try {
    const body = await client.request(ApiKey.Metadata, 1, encodeMetadataRequestAllTopics());
    const { brokers } = decodeMetadataResponse(1, body);
    if (brokers.length === 0) throw new Error(`kafka-front: ${first} reported no brokers`);
    return brokers.sort((a, b) => a.nodeId - b.nodeId);
  } finally {
    client.close();
  }
}
