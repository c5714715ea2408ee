import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ISocketFactory } from 'kafkajs';
import { FrameReader, keepWholeResponses } from '../frame-reader.ts';

/**
 * What each broker's socket showed before kafkajs saw a failure, by "host:port". kafkajs reports
 * a TLS client on a plaintext port as "Connection error: read ECONNRESET" (measured against the
 * test broker), which says nothing of TLS; the socket knows whether its handshake finished.
 */
export interface HandshakeEntry { readonly kind: 'tls-failed' | 'tls-pending' | 'tls-to-plaintext-client' | 'closed-unanswered'; readonly error?: Error }
export type HandshakeLog = Map<string, HandshakeEntry>;

/** kafkajs's own socket factory (tls.connect or net.connect), watched: see HandshakeLog; a plaintext socket reads whole responses (frame-reader.ts). */
export function watchingSocketFactory(log: HandshakeLog): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const key = `${host}:${port}`;
    log.delete(key); // the newest socket to a broker speaks for it
    if (!ssl) {
      keepWholeResponses();
      const frames = new FrameReader();
      const socket = net.connect({ host, port, onread: frames.onread }, onConnect);
      frames.attach(socket);
      // A TLS server answers a Kafka request with a TLS alert record (0x15 0x03 ..); no Kafka response starts so (a 350 MB size).
      let answered = false, tcp = false;
      socket.once('connect', () => { tcp = true; });
      socket.once('data', (b: Buffer) => { answered = true; if (b[0] === 0x15 && b[1] === 0x03) log.set(key, { kind: 'tls-to-plaintext-client' }); });
      // 'end' (the peer's FIN) comes before kafkajs fails the request; 'close' covers a reset.
      const hungUp = (): void => { if (tcp && !answered && !log.has(key)) log.set(key, { kind: 'closed-unanswered' }); };
      socket.once('end', hungUp);
      socket.once('close', hungUp);
      return socket;
    }
    const socket = tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect);
    // Only a handshake that began counts: a refused or unreachable TCP connection is an outage, for the caller's retries.
    // From TCP connect to the end of the handshake the entry says 'tls-pending': kafkajs's connection timeout may fail the
    // connect before the socket closes.
    let tcp = false, secure = false;
    socket.once('connect', () => { tcp = true; log.set(key, { kind: 'tls-pending' }); });
    socket.once('secureConnect', () => { secure = true; log.delete(key); });
    // Under TLS 1.3 the server checks the client's certificate after the client's handshake has finished: its
    // refusal is an alert on the first read.
    socket.once('error', (error: Error) => { if (tcp && (!secure || /alert/i.test(error.message))) log.set(key, { kind: 'tls-failed', error }); });
    return socket;
  };
}

interface Context {
  readonly protocol: string;
  readonly mechanism: string | null;
  readonly summary: string;
  readonly servers: readonly string[];
  readonly log: HandshakeLog;
}

/** The errors in a chain of causes (kafkajs wraps the first failure in retry errors). */
function chain(e: unknown): Error[] {
  const out: Error[] = [];
  for (let x = e as (Error & { originalError?: unknown }) | undefined; x instanceof Error && out.length < 10; x = (x.cause ?? x.originalError) as typeof x) out.push(x);
  return out;
}

const CERT_CODES = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']);

function tlsFailure(where: string, entry: HandshakeEntry, port: string): string {
  const err = entry.error as (Error & { code?: string }) | undefined;
  const code = err?.code ?? '';
  if (CERT_CODES.has(code)) {
    return `the broker at ${where} presented a certificate this client does not trust (${code}: ${err!.message}). `
      + `Give the CA that signed it with option kafka.ssl.truststore.location (PEM, PKCS12 or JKS) or kafka.ssl.truststore.certificates.`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the broker's certificate does not name the host it was reached by (${err!.message}). Connect by a name the certificate holds, `
      + `or set option kafka.ssl.endpoint.identification.algorithm to '' to skip the host name check (as in Kafka; the certificate chain is still checked).`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `the broker at ${where} presented a certificate outside its validity dates (${code}).`;
  if (/certificate required|alert handshake failure|bad certificate/i.test(err?.message ?? '')) {
    return `the broker at ${where} ended the TLS handshake (${err!.message}); it may require a client certificate: set option kafka.ssl.keystore.location (mutual TLS).`;
  }
  return `the server at ${where} did not answer the TLS handshake (${err ? err.message : 'it closed the connection'}): is port ${port} a PLAINTEXT listener? `
    + `If it is, set option kafka.security.protocol to PLAINTEXT (or SASL_PLAINTEXT); otherwise use the broker's SSL or SASL_SSL port.`;
}

/** What a failed connection means; `permanent` when it is a setting (not retried), else a hint beside an outage. */
export interface Diagnosis { readonly text: string; readonly permanent: boolean }

// Kafka's SaslHandshake / SaslAuthenticate error codes, as kafkajs names them in KafkaJSProtocolError.type.
const UNSUPPORTED_MECHANISM = 'UNSUPPORTED_SASL_MECHANISM', AUTH_FAILED = 'SASL_AUTHENTICATION_FAILED';

/**
 * A connection failure in words that name the setting to change, or null when there is nothing
 * to say beyond the caller's own "cannot reach" message. Never includes a secret: kafkajs's SASL
 * messages hold none, and the caller scrubs the result as well.
 */
export function explainConnectError(e: unknown, c: Context): Diagnosis | null {
  const text = explain(e, c);
  if (text !== null) return { text, permanent: true };
  if (c.protocol === 'PLAINTEXT' || c.protocol === 'SASL_PLAINTEXT') {
    // A server that hangs up on the first request without a byte may be a TLS (or SASL) listener that sends no alert,
    // or a broker going down: said as a hint, and retried as an outage.
    for (const [key, entry] of c.log) {
      if (entry.kind === 'closed-unanswered') {
        return { text: `the server at ${key} closed the connection without answering: if that listener uses TLS or SASL, set option kafka.security.protocol `
          + `(SSL, SASL_SSL or SASL_PLAINTEXT) and its options`, permanent: false };
      }
    }
  }
  return null;
}

function explain(e: unknown, c: Context): string | null {
  const errors = chain(e);
  const type = (x: Error): string | undefined => (x as { type?: string }).type;
  if (errors.some((x) => type(x) === UNSUPPORTED_MECHANISM)) {
    const broker = c.servers.join(',');
    return `Kafka at ${broker} does not enable SASL mechanism ${c.mechanism} (option kafka.sasl.mechanism). Use a mechanism the cluster enables for your user.`;
  }
  const sasl = errors.find((x) => x.name === 'KafkaJSSASLAuthenticationError' || type(x) === AUTH_FAILED);
  const broker = (errors.find((x) => typeof (x as { broker?: unknown }).broker === 'string') as { broker?: string } | undefined)?.broker;
  const where = broker ?? c.servers.join(',');
  if (sasl) {
    if (/mechanism is not supported by the server/.test(sasl.message)) {
      return `Kafka at ${where} does not enable SASL mechanism ${c.mechanism} (option kafka.sasl.mechanism): ${sasl.message}. Use a mechanism the cluster enables.`;
    }
    return `Kafka at ${where} refused the SASL ${c.mechanism} login (${c.summary}): ${sasl.message}. `
      + `Check the user name and password (or API key and secret) in option kafka.sasl.jaas.config, and that kafka.sasl.mechanism is the one the cluster uses for them.`;
  }
  for (const [key, entry] of c.log) {
    if (entry.kind === 'closed-unanswered') continue; // a hint only: explainConnectError
    const port = key.slice(key.lastIndexOf(':') + 1);
    if (entry.kind === 'tls-to-plaintext-client') {
      return `the server at ${key} answered with TLS, but option kafka.security.protocol is ${c.protocol}: set it to ${c.mechanism ? 'SASL_SSL' : 'SSL'}.`;
    }
    const timedOut = errors.some((x) => /timeout/i.test(x.message));
    if (entry.kind === 'tls-pending' && timedOut) {
      return `the server at ${key} did not answer the TLS handshake within the connection timeout (option kafka.connection.timeout.ms): is port ${port} a PLAINTEXT listener? `
        + `If it is, set option kafka.security.protocol to PLAINTEXT (or SASL_PLAINTEXT).`;
    }
    return tlsFailure(key, entry, port);
  }
  // The test broker has no SaslHandshake at all; a real broker's plaintext listener answers it with ILLEGAL_SASL_STATE.
  if (c.mechanism && errors.some((x) => x.name === 'KafkaJSServerDoesNotSupportApiKey' || type(x) === 'ILLEGAL_SASL_STATE')) {
    return `Kafka at ${where} did not accept a SASL handshake: is it a listener without SASL? If so, set option kafka.security.protocol to `
      + `${c.protocol === 'SASL_SSL' ? 'SSL' : 'PLAINTEXT'}, or use the cluster's SASL port.`;
  }
  return null;
}
