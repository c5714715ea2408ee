// The test broker behind tools/kafka-front: TLS and/or SASL in front of the mock cluster, for
// tests of clients' security options (Spark's kafka.security.protocol, kafka.sasl.*, kafka.ssl.*).
import { startKafkaFront } from '../../tools/kafka-front/front.ts';
import type { HookFactory } from '../../tools/kafka-front/hooks.ts';
import type { SaslMechanism } from '../../tools/kafka-front/sasl.ts';
import { transactions } from '../../tools/kafka-front/transactions.ts';
import type { TestBroker } from './broker.ts';
import { makeTestCerts } from './certs.ts';

export type { SaslMechanism };

export interface StartFrontOptions {
  broker: TestBroker;
  /** Listen with TLS (a fresh CA and certificate for 127.0.0.1/localhost). */
  tls?: boolean;
  sasl?: { mechanisms: SaslMechanism[]; users: Record<string, string> };
  /**
   * Play Kafka's transaction coordinator (tools/kafka-front/transactions.ts): commit/abort markers,
   * last stable offsets, read_committed Fetch and ListOffsets, aborting a crashed producer's
   * transaction. Default true: the bare mock writes no markers, so read_committed reads everything.
   */
  transactions?: boolean;
  /** Further layers, after the transaction coordinator. */
  hooks?: HookFactory[];
  /** Print why connections close (to stderr), for debugging a test. */
  verbose?: boolean;
}

export interface TestFront {
  /** host:port list of the front's listeners, one per mock broker. */
  bootstrap: string;
  /** The CA certificate (PEM file) that signed the front's certificate; undefined without tls. */
  caFile: string | undefined;
  stop(): Promise<void>;
}

/** Starts a front for `broker` (the project's mock; an external cluster has its own security). */
export async function startFront(opts: StartFrontOptions): Promise<TestFront> {
  // A real cluster is its own transaction coordinator: a test that wants only Kafka's transactions runs against it as it is.
  if (opts.broker.external && !opts.tls && !opts.sasl && !opts.hooks?.length) return { bootstrap: opts.broker.bootstrap, caFile: undefined, stop: async () => {} };
  if (opts.broker.external) throw new Error('startFront needs the project mock broker; unset KAFKA_BOOTSTRAP_SERVERS');
  const certs = opts.tls ? makeTestCerts() : undefined;
  const front = await startKafkaFront({
    bootstrap: opts.broker.bootstrap,
    tls: certs && { key: certs.key, cert: certs.cert },
    sasl: opts.sasl,
    hooks: [...(opts.transactions === false ? [] : [transactions]), ...(opts.hooks ?? [])],
    log: opts.verbose ? (line) => process.stderr.write(`kafka-front: ${line}\n`) : undefined,
  });
  return { bootstrap: front.bootstrap, caFile: certs?.caFile, stop: () => front.stop() };
}
