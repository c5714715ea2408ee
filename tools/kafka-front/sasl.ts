// The front's side of Kafka SASL (KIP-43 SaslHandshake v1, KIP-152 SaslAuthenticate): PLAIN
// (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802, RFC 7677) against a fixed user → password map.
//
// Hand-written server side: npm has SCRAM clients (kafkajs, pg, mongodb carry their own) but
// no maintained SCRAM *server*; the server steps are a dozen lines over node:crypto.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiKey, isFlexible, Reader, Writer, type RequestFrame } from './frames.ts';

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export interface SaslConfig {
  mechanisms: readonly SaslMechanism[];
  /** user → password */
  users: Readonly<Record<string, string>>;
}

// Kafka's error codes (org.apache.kafka.common.protocol.Errors).
const UNSUPPORTED_SASL_MECHANISM = 33;
const ILLEGAL_SASL_STATE = 34;
const SASL_AUTHENTICATION_FAILED = 58;
const UNSUPPORTED_VERSION = 35;

/** A token exchange failed: the client is told `message` with error 58 and disconnected. */
export class AuthenticationFailed extends Error {}

export interface Mechanism {
  /** The next server token; `user` once the exchange succeeded. */
  step(token: Buffer): { token: Buffer; user: string | null };
}

export interface SaslAnswer {
  /** The response body. */
  body: Buffer;
  /** The authenticated user, once. */
  user: string | null;
  /** Close the connection after sending the answer. */
  close: boolean;
}

/** One connection's SASL state: handshake, then SaslAuthenticate rounds until success. */
export class SaslExchange {
  private mechanism: Mechanism | undefined;
  private mechanismName: SaslMechanism | undefined;
  authenticated = false;

  constructor(private readonly config: SaslConfig) {}

  answer(req: RequestFrame): SaslAnswer {
    return req.apiKey === ApiKey.SaslHandshake ? this.handshake(req) : this.authenticate(req);
  }

  private handshake(req: RequestFrame): SaslAnswer {
    const asked = new Reader(req.body).string();
    const enabled = this.config.mechanisms;
    const reply = (errorCode: number, close: boolean): SaslAnswer => {
      const w = new Writer().int16(errorCode).int32(enabled.length);
      for (const m of enabled) w.string(m);
      return { body: w.build(), user: null, close };
    };
    // v0 = raw tokens without Kafka framing next: not supported (see SASL_APIS in connection.ts).
    if (req.apiVersion < 1) return reply(UNSUPPORTED_VERSION, true);
    if (this.mechanism || this.authenticated) return reply(ILLEGAL_SASL_STATE, true);
    const name = enabled.find((m) => m === asked);
    if (!name) return reply(UNSUPPORTED_SASL_MECHANISM, true);
    this.mechanismName = name;
    this.mechanism = name === 'PLAIN' ? new Plain(this.config.users) : new ScramServer(name === 'SCRAM-SHA-256' ? 'sha256' : 'sha512', this.config.users);
    return reply(0, false);
  }

  private authenticate(req: RequestFrame): SaslAnswer {
    const flex = isFlexible(ApiKey.SaslAuthenticate, req.apiVersion);
    const reply = (errorCode: number, message: string | null, token: Buffer, user: string | null): SaslAnswer => {
      const w = new Writer().int16(errorCode).nullableStr(message, flex).bytes(token, flex);
      if (req.apiVersion >= 1) w.int64(0n); // session_lifetime_ms: no re-authentication (KIP-368)
      if (flex) w.noTags();
      return { body: w.build(), user, close: errorCode !== 0 };
    };
    if (!this.mechanism || this.authenticated) {
      const why = this.authenticated ? 'SaslAuthenticate after authentication succeeded (re-authentication is not supported)' : 'SaslAuthenticate without a SaslHandshake before it';
      return reply(ILLEGAL_SASL_STATE, why, Buffer.alloc(0), null);
    }
    const token = new Reader(req.body).bytes(flex) ?? Buffer.alloc(0);
    try {
      const step = this.mechanism.step(token);
      if (step.user !== null) this.authenticated = true;
      return reply(0, null, step.token, step.user);
    } catch (e) {
      if (!(e instanceof AuthenticationFailed)) throw e;
      // Kafka's own wording (SaslServerAuthenticator), so clients show what they show for a broker.
      return reply(SASL_AUTHENTICATION_FAILED, `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanismName}: ${e.message}`, Buffer.alloc(0), null);
    }
  }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 4616: [authzid] NUL authcid NUL passwd. */
export class Plain implements Mechanism {
  constructor(private readonly users: Readonly<Record<string, string>>) {}

  step(token: Buffer): { token: Buffer; user: string } {
    const parts = token.toString('utf8').split('\0');
    if (parts.length !== 3) throw new AuthenticationFailed('a PLAIN token is authzid NUL user NUL password');
    const [authzid, user, password] = parts as [string, string, string];
    // Kafka's PlainSaslServer: no acting as another user.
    if (authzid !== '' && authzid !== user) throw new AuthenticationFailed('authorization id must be empty or the user name');
    const expected = Object.hasOwn(this.users, user) ? this.users[user]! : undefined;
    if (expected === undefined || !sameBytes(Buffer.from(password), Buffer.from(expected))) throw new AuthenticationFailed('invalid user name or password');
    return { token: Buffer.alloc(0), user };
  }
}

// Kafka's minimum for both SCRAM mechanisms (ScramMechanism.minIterations).
const SCRAM_ITERATIONS = 4096;

/** The random parts of a SCRAM exchange; fixed only to replay the RFC's example exchange. */
export interface ScramRandom { serverNonce(): string; salt(): Buffer }
const RANDOM: ScramRandom = { serverNonce: () => randomBytes(18).toString('base64'), salt: () => randomBytes(16) };

/** RFC 5802 server: client-first → server-first, client-final → server-final (v=signature). */
export class ScramServer implements Mechanism {
  private first: { user: string; bare: string; serverFirst: string; nonce: string; gs2: string; salted: Buffer } | undefined;

  constructor(private readonly hash: 'sha256' | 'sha512', private readonly users: Readonly<Record<string, string>>,
    private readonly random: ScramRandom = RANDOM) {}

  step(token: Buffer): { token: Buffer; user: string | null } {
    return this.first ? this.final(token.toString('utf8')) : this.clientFirst(token.toString('utf8'));
  }

  private clientFirst(msg: string): { token: Buffer; user: null } {
    // gs2-header: "n,," or "y,," (no channel binding), optionally with "a=authzid".
    const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(msg);
    if (!m) throw new AuthenticationFailed('SCRAM client-first message must start with "n,," (channel binding is not supported)');
    const bare = m[3]!;
    const attrs = scramAttributes(bare);
    const user = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (user === undefined || !clientNonce) throw new AuthenticationFailed('SCRAM client-first message lacks n= or r=');
    const name = user.replace(/=2C/g, ',').replace(/=3D/g, '=');
    if (m[2] && m[2].slice(2) !== name) throw new AuthenticationFailed('authorization id must be the user name');
    const password = Object.hasOwn(this.users, name) ? this.users[name] : undefined;
    if (password === undefined) throw new AuthenticationFailed(`unknown user`);
    const salt = this.random.salt();
    const nonce = clientNonce + this.random.serverNonce();
    const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${SCRAM_ITERATIONS}`;
    // SASLprep of the password is left out: the test users' passwords are ASCII.
    const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, this.hash === 'sha256' ? 32 : 64, this.hash);
    this.first = { user: name, bare, serverFirst, nonce, gs2: msg.slice(0, msg.length - bare.length), salted };
    return { token: Buffer.from(serverFirst), user: null };
  }

  private final(msg: string): { token: Buffer; user: string } {
    const f = this.first!;
    const proofAt = msg.lastIndexOf(',p=');
    if (proofAt < 0) throw new AuthenticationFailed('SCRAM client-final message lacks p=');
    const withoutProof = msg.slice(0, proofAt);
    const attrs = scramAttributes(withoutProof);
    // librdkafka (2.0.2, and still in 2023's rdkafka_sasl_scram.c) sends r=<client nonce><server's r>,
    // repeating its own nonce; Kafka's ScramSaslServer accepted it by checking endsWith (later Kafka
    // releases check equality, breaking those clients), so the front checks as Kafka did. The proof
    // below still covers the message exactly as sent.
    if (!attrs.get('r')?.endsWith(f.nonce)) throw new AuthenticationFailed('SCRAM nonce mismatch');
    if (attrs.get('c') !== Buffer.from(f.gs2).toString('base64')) throw new AuthenticationFailed('SCRAM channel binding mismatch');
    const proof = Buffer.from(msg.slice(proofAt + 3), 'base64');
    const authMessage = `${f.bare},${f.serverFirst},${withoutProof}`;
    const hmac = (key: Buffer, data: string): Buffer => createHmac(this.hash, key).update(data).digest();
    const clientKey = hmac(f.salted, 'Client Key');
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const clientSignature = hmac(storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new AuthenticationFailed('invalid credentials');
    const claimedKey = Buffer.from(proof.map((b, i) => b ^ clientSignature[i]!));
    if (!sameBytes(createHash(this.hash).update(claimedKey).digest(), storedKey)) throw new AuthenticationFailed('invalid credentials');
    const serverSignature = hmac(hmac(f.salted, 'Server Key'), authMessage);
    return { token: Buffer.from(`v=${serverSignature.toString('base64')}`), user: f.user };
  }
}

/** "k=v,k=v" → map (values may contain '='; the first one of each key wins). */
function scramAttributes(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1 && !out.has(part[0]!)) out.set(part[0]!, part.slice(2));
  }
  return out;
}
