// An HTTP proxy on 127.0.0.1 between the AWS SDK and s3rver that fails chosen requests, so the
// retry policy and the crash paths meet real sockets, not mocks. Path-style requests only
// (`/<bucket>/<key>?<query>`), which is what the tests configure.
//
// Faults:
//   500        answer 500 InternalError (the request never reaches S3)
//   503        answer 503 SlowDown (throttling)
//   409        answer 409 ConditionalRequestConflict (a racing conditional write)
//   reset      destroy the connection before forwarding (the request never reaches S3)
//   lostReply  forward, let S3 apply it, then destroy the connection instead of answering
//   stall      accept the request and never answer (the SDK's socket timeout must fire)
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = '500' | '503' | '409' | 'reset' | 'lostReply' | 'stall';

export interface FaultRule {
  /** HTTP method to match (PUT, GET, HEAD, DELETE, POST); any when absent. */
  readonly method?: string;
  /** Matched against the object key (no bucket, decoded); a string matches as a substring. */
  readonly key?: RegExp | string;
  /** Matched against the raw query string (e.g. /list-type=2/, /uploadId/). */
  readonly query?: RegExp;
  readonly fault: Fault;
  /** Let this many matching requests through first (default 0). */
  readonly skip?: number;
  /** Fail this many matching requests, then stop matching (default: all of them). */
  readonly times?: number;
}

export interface SeenRequest {
  readonly method: string;
  readonly key: string;
  readonly query: string;
  readonly fault?: Fault;
}

export interface ActiveRule extends FaultRule {
  /** Requests this rule failed so far. */
  readonly hits: number;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Every request seen, in arrival order, with the fault it got. */
  readonly seen: SeenRequest[];
  /** Emits 'fault' (SeenRequest) each time a fault is applied. */
  readonly events: EventEmitter;
  add(rule: FaultRule): ActiveRule;
  clear(): void;
  close(): Promise<void>;
}

const xmlError = (code: string, message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>proxy-fault</RequestId></Error>`;

const ANSWERS: Partial<Record<Fault, [number, string]>> = {
  500: [500, xmlError('InternalError', 'We encountered an internal error. Please try again.')],
  503: [503, xmlError('SlowDown', 'Please reduce your request rate.')],
  409: [409, xmlError('ConditionalRequestConflict', 'A conflicting operation occurred. Please retry.')],
};

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true });
  const rules: { rule: FaultRule; hits: number; matched: number }[] = [];
  const seen: SeenRequest[] = [];
  const events = new EventEmitter();
  const stalled = new Set<http.ServerResponse>();

  const pick = (method: string, key: string, query: string): FaultRule | undefined => {
    for (const r of rules) {
      const { rule } = r;
      if (rule.method && rule.method !== method) continue;
      if (rule.key !== undefined && !(typeof rule.key === 'string' ? key.includes(rule.key) : rule.key.test(key))) continue;
      if (rule.query && !rule.query.test(query)) continue;
      if (rule.times !== undefined && r.hits >= rule.times) continue;
      r.matched++;
      if (r.matched <= (rule.skip ?? 0)) continue;
      r.hits++;
      return rule;
    }
    return undefined;
  };

  const forward = (req: http.IncomingMessage, body: Buffer, onResponse: (status: number, headers: http.IncomingHttpHeaders, data: Buffer) => void, onError: (e: Error) => void): void => {
    const up = http.request({
      host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => onResponse(res.statusCode ?? 502, res.headers, Buffer.concat(chunks)));
      res.on('error', onError);
    });
    up.on('error', onError);
    up.end(body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    // The whole body first: s3rver only ever sees complete requests, as S3 would.
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const [, , ...rest] = url.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      const query = url.search.replace(/^\?/, '');
      const method = req.method ?? 'GET';
      const rule = pick(method, key, query);
      const entry: SeenRequest = { method, key, query, ...(rule ? { fault: rule.fault } : {}) };
      seen.push(entry);
      if (rule) events.emit('fault', entry);
      const body = Buffer.concat(chunks);
      const fail = (): void => { req.socket.destroy(); };
      switch (rule?.fault) {
        case undefined:
          forward(req, body, (status, headers, data) => { res.writeHead(status, headers); res.end(data); }, fail);
          return;
        case 'reset':
          fail();
          return;
        case 'lostReply':
          forward(req, body, fail, fail);
          return;
        case 'stall':
          stalled.add(res);
          res.on('close', () => stalled.delete(res));
          return;
        default: {
          const [status, xml] = ANSWERS[rule!.fault]!;
          res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
          res.end(xml);
        }
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    events,
    add(rule) {
      const r = { rule, hits: 0, matched: 0 };
      rules.push(r);
      return { ...rule, get hits() { return r.hits; } };
    },
    clear() { rules.length = 0; },
    async close() {
      for (const res of stalled) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
