// The front's SASL server side on its own: RFC 7677's SCRAM-SHA-256 example exchange replayed
// byte for byte, the checks that must refuse a client, and the Kafka framing of SaslHandshake v1
// and SaslAuthenticate v0-v2 (v2 flexible), which the client tests do not all reach.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../tools/kafka-front/frames.ts';
import { AuthenticationFailed, Plain, SaslExchange, ScramServer } from '../tools/kafka-front/sasl.ts';

// RFC 7677 section 3, user "user", password "pencil".
const RFC = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};
const rfcServer = (password = 'pencil'): ScramServer => new ScramServer('sha256', { user: password }, {
  serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  salt: () => Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
});
const step = (m: { step(t: Buffer): { token: Buffer; user: string | null } }, msg: string) => {
  const r = m.step(Buffer.from(msg));
  return { token: r.token.toString(), user: r.user };
};

/** A client-final message for `withoutProof`, proved with `password` (RFC 5802 section 3, as a client computes it). */
function prove(hash: 'sha256' | 'sha512', password: string, bare: string, serverFirst: string, withoutProof: string): string {
  const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), hash === 'sha256' ? 32 : 64, hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const signature = createHmac(hash, createHash(hash).update(clientKey).digest()).update(`${bare},${serverFirst},${withoutProof}`).digest();
  return `${withoutProof},p=${Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64')}`;
}

describe('SCRAM server', () => {
  it('replays RFC 7677\'s example: the server-first and server-final messages are the RFC\'s', () => {
    const s = rfcServer();
    expect(step(s, RFC.clientFirst)).toEqual({ token: RFC.serverFirst, user: null });
    expect(step(s, RFC.clientFinal)).toEqual({ token: RFC.serverFinal, user: 'user' });
  });

  it('refuses the RFC\'s client proof when the stored password differs', () => {
    const s = rfcServer('pencil2');
    step(s, RFC.clientFirst);
    expect(() => s.step(Buffer.from(RFC.clientFinal))).toThrow(AuthenticationFailed);
  });

  it('refuses a tampered proof, a foreign nonce, a changed channel binding and an unknown user', () => {
    const tampered = RFC.clientFinal.replace('p=d', 'p=e');
    const foreignNonce = RFC.clientFinal.replace('r=rOpr', 'r=XOpr');
    const binding = RFC.clientFinal.replace('c=biws', 'c=eSws');
    for (const final of [tampered, foreignNonce, binding]) {
      const s = rfcServer();
      step(s, RFC.clientFirst);
      expect(() => s.step(Buffer.from(final)), final).toThrow(AuthenticationFailed);
    }
    expect(() => rfcServer().step(Buffer.from('n,,n=nobody,r=abc'))).toThrow(/unknown user/);
    expect(() => rfcServer().step(Buffer.from('p=tls-unique,,n=user,r=abc'))).toThrow(/channel binding/);
  });

  it('accepts librdkafka 2.0.2\'s client-final nonce (its own nonce repeated in front), proved over the message as sent', () => {
    const s = new ScramServer('sha512', { alice: 's3cret' });
    const first = step(s, 'n,,n=alice,r=CLIENTNONCE');
    const withoutProof = `c=biws,r=CLIENTNONCE${first.token.split(',')[0]!.slice(2)}`;
    const final = step(s, prove('sha512', 's3cret', 'n=alice,r=CLIENTNONCE', first.token, withoutProof));
    expect(final.user).toBe('alice');
    expect(final.token).toMatch(/^v=/);
  });

  it('unescapes =2C and =3D in the user name', () => {
    const s = new ScramServer('sha256', { 'a,b=c': 'pw' });
    const first = step(s, 'n,,n=a=2Cb=3Dc,r=N1');
    const nonce = first.token.split(',')[0]!.slice(2);
    expect(step(s, prove('sha256', 'pw', 'n=a=2Cb=3Dc,r=N1', first.token, `c=biws,r=${nonce}`)).user).toBe('a,b=c');
  });
});

describe('PLAIN server', () => {
  const users = { alice: 'pw' };
  it('accepts the user\'s password, with or without an authorization id equal to the user', () => {
    expect(new Plain(users).step(Buffer.from('\0alice\0pw')).user).toBe('alice');
    expect(new Plain(users).step(Buffer.from('alice\0alice\0pw')).user).toBe('alice');
  });
  it('refuses a wrong password, an unknown user, acting as another user and a malformed token', () => {
    for (const t of ['\0alice\0pw2', '\0bob\0pw', 'bob\0alice\0pw', 'alice:pw', '\0__proto__\0x']) {
      expect(() => new Plain(users).step(Buffer.from(t)), JSON.stringify(t)).toThrow(AuthenticationFailed);
    }
  });
});

// ---- Kafka framing of the exchange --------------------------------------------------------------

const req = (apiKey: number, apiVersion: number, body: Buffer) => ({ apiKey, apiVersion, correlationId: 1, clientId: 'test', body });
const str16 = (s: string): Buffer => Buffer.concat([Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s)]);

/** SaslAuthenticate request body: auth_bytes as BYTES (v0, v1) or COMPACT_BYTES + tags (v2). */
function authenticate(version: number, token: Buffer): Buffer {
  if (version >= 2) return Buffer.concat([Buffer.from([token.length + 1]), token, Buffer.from([0])]);
  const len = Buffer.alloc(4);
  len.writeInt32BE(token.length);
  return Buffer.concat([len, token]);
}

/** Reads a SaslAuthenticate answer body by the spec (SaslAuthenticateResponse.json). */
function readAuthenticate(version: number, b: Buffer): { errorCode: number; message: string | null; token: string; lifetime?: bigint } {
  let p = 0;
  const uvarint = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = b[p++]!;
      v |= (byte & 0x7f) << shift;
      if (byte < 0x80) return v;
    }
  };
  const errorCode = b.readInt16BE(p); p += 2;
  let message: string | null;
  let token: string;
  if (version >= 2) {
    const ml = uvarint() - 1; // Kafka's message is longer than 127 bytes: a 2-byte varint
    message = ml < 0 ? null : b.subarray(p, p + ml).toString(); p += Math.max(ml, 0);
    const tl = uvarint() - 1;
    token = b.subarray(p, p + tl).toString(); p += tl;
  } else {
    const ml = b.readInt16BE(p); p += 2;
    message = ml < 0 ? null : b.subarray(p, p + ml).toString(); p += Math.max(ml, 0);
    const tl = b.readInt32BE(p); p += 4;
    token = b.subarray(p, p + tl).toString(); p += tl;
  }
  const lifetime = version >= 1 ? b.readBigInt64BE(p) : undefined;
  p += version >= 1 ? 8 : 0;
  if (version >= 2) expect(b[p++]).toBe(0); // no tagged fields
  expect(p).toBe(b.length);
  return { errorCode, message, token, ...(lifetime === undefined ? {} : { lifetime }) };
}

describe('SaslHandshake and SaslAuthenticate framing', () => {
  const config = { mechanisms: ['PLAIN', 'SCRAM-SHA-512'] as const, users: { alice: 'pw' } };

  it('SaslHandshake v1 lists the enabled mechanisms; an unknown one gets error 33 and a close', () => {
    const ok = new SaslExchange({ ...config, mechanisms: [...config.mechanisms] }).answer(req(ApiKey.SaslHandshake, 1, str16('PLAIN')));
    const expected = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 2]), str16('PLAIN'), str16('SCRAM-SHA-512')]);
    expect(ok).toEqual({ body: expected, user: null, close: false });
    const bad = new SaslExchange({ ...config, mechanisms: [...config.mechanisms] }).answer(req(ApiKey.SaslHandshake, 1, str16('GSSAPI')));
    expect(bad.body.readInt16BE(0)).toBe(33);
    expect(bad.close).toBe(true);
  });

  it.each([0, 1, 2])('SaslAuthenticate v%i: success, then error 58 with Kafka\'s message and a close', (version) => {
    const good = new SaslExchange({ ...config, mechanisms: [...config.mechanisms] });
    good.answer(req(ApiKey.SaslHandshake, 1, str16('PLAIN')));
    const yes = good.answer(req(ApiKey.SaslAuthenticate, version, authenticate(version, Buffer.from('\0alice\0pw'))));
    expect(readAuthenticate(version, yes.body)).toEqual({ errorCode: 0, message: null, token: '', ...(version >= 1 ? { lifetime: 0n } : {}) });
    expect(yes.user).toBe('alice');
    expect(good.authenticated).toBe(true);

    const bad = new SaslExchange({ ...config, mechanisms: [...config.mechanisms] });
    bad.answer(req(ApiKey.SaslHandshake, 1, str16('PLAIN')));
    const no = bad.answer(req(ApiKey.SaslAuthenticate, version, authenticate(version, Buffer.from('\0alice\0nope'))));
    const r = readAuthenticate(version, no.body);
    expect(r.errorCode).toBe(58);
    expect(r.message).toMatch(/^Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN/);
    expect(no.close).toBe(true);
    expect(bad.authenticated).toBe(false);
  });

  it('SaslAuthenticate before a handshake is an illegal state (34)', () => {
    const x = new SaslExchange({ ...config, mechanisms: [...config.mechanisms] });
    const r = x.answer(req(ApiKey.SaslAuthenticate, 1, authenticate(1, Buffer.from('\0alice\0pw'))));
    expect(readAuthenticate(1, r.body).errorCode).toBe(34);
    expect(r.close).toBe(true);
  });
});
