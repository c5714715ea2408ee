import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { OptionError } from '../errors.ts';
import type { StreamingQuery } from '../runtime/streaming-query.ts';
import type { StreamingQueryListener } from '../runtime/progress.ts';
import type { ListenerRegistry } from '../runtime/query-observers.ts';
import { QueryView } from './query-view.ts';
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from './prometheus.ts';
import { renderGroupPage, type GroupSummary } from './group-view.ts';

const HOST = '127.0.0.1';
const HEARTBEAT_MS = 15_000;

/** A query's hold on the UI server of its port. The server closes when the last hold is released. */
export interface UiLease {
  readonly url: string;
  /** Show this query from now on; the hold is released by itself when the query terminates. */
  watch(query: StreamingQuery, listeners: ListenerRegistry): void;
  /** For a query that never started. */
  release(): void;
}

// By the port asked for: queries asking for the same port (0 included) share one server and one page.
const servers = new Map<number, Promise<UiServer>>();
const closing = new Map<number, Promise<void>>();

/** Binds the UI server for `port` or joins the one already bound in this process. A port in use is an OptionError. */
export async function openUi(port: number): Promise<UiLease> {
  for (;;) {
    await closing.get(port);
    let pending = servers.get(port);
    if (!pending) {
      pending = UiServer.listen(port);
      servers.set(port, pending);
      const mine = pending;
      pending.catch(() => { if (servers.get(port) === mine) servers.delete(port); });
    }
    const server = await pending;
    // It may have closed while we waited; then bind a fresh one.
    const lease = server.lease();
    if (lease) return lease;
  }
}

class UiServer {
  private readonly views = new Map<string, QueryView>();
  private readonly clients = new Set<ServerResponse>();
  private holds = 0;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(private readonly ports: readonly number[], private readonly server: Server, readonly url: string, private readonly hosts: Set<string>) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
    // Neither the server nor a browser's open connection may keep the process alive once the queries end.
    server.on('connection', (socket) => socket.unref());
    server.unref();
    this.heartbeat = setInterval(() => { for (const c of this.clients) c.write(': keep-alive\n\n'); }, HEARTBEAT_MS).unref();
  }

  static listen(port: number): Promise<UiServer> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'EADDRINUSE' ? 'is already in use (another program or another sluice process holds it)'
          : e.code === 'EACCES' ? 'needs privileges this process does not have' : `cannot be bound: ${e.message}`;
        reject(new OptionError(`Option 'ui.port': port ${port} on ${HOST} ${why}. Choose another port, or 0 for any free one.`, { cause: e }));
      });
      server.listen(port, HOST, () => {
        const bound = (server.address() as AddressInfo).port;
        const url = `http://${HOST}:${bound}/`;
        process.stderr.write(`sluice UI: ${url}\n`);
        const ui = new UiServer([port, bound], server, url, new Set([`${HOST}:${bound}`, `localhost:${bound}`]));
        // Known by the port it got too: a query given that port (as read from uiUrl) joins this server.
        if (!servers.has(bound)) servers.set(bound, Promise.resolve(ui));
        resolve(ui);
      });
    });
  }

  lease(): UiLease | null {
    if (this.closed) return null;
    this.holds++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (--this.holds === 0) this.close();
    };
    return { url: this.url, release, watch: (query, listeners) => this.watch(query, listeners, release) };
  }

  private watch(query: StreamingQuery, listeners: ListenerRegistry, release: () => void): void {
    // A restart of the same query (same id) in this process replaces its earlier run: /metrics must not repeat a label set.
    for (const [k, v] of this.views) if (v.id === query.id) this.views.delete(k);
    const view = new QueryView(query);
    this.views.set(view.key, view);
    const mine = (runId: string): boolean => runId === query.runId;
    // Listeners run inside the trigger loop: the UI must never be what fails a query.
    const guard = (fn: () => void): void => { try { fn(); } catch { /* a broken client is not the query's problem */ } };
    const listener: StreamingQueryListener = {
      onQueryStarted: (e) => guard(() => { if (mine(e.runId)) this.broadcast('query', { query: view.summary() }); }),
      onQueryProgress: ({ progress }) => guard(() => {
        if (!mine(progress.runId)) return;
        const point = view.progress(progress);
        this.broadcast('progress', { query: view.summary(), point });
      }),
      onQueryIdle: (e) => guard(() => {
        if (!mine(e.runId) || !view.idle()) return;
        this.broadcast('query', { query: view.summary() });
      }),
      onQueryTerminated: (e) => guard(() => {
        if (!mine(e.runId)) return;
        view.terminated();
        this.broadcast('query', { query: view.summary() });
        // Not while the query is still iterating the listener list.
        setImmediate(() => { listeners.removeListener(listener); release(); });
      }),
    };
    listeners.addListener(listener);
    this.broadcast('query', { query: view.summary() });
  }

  private snapshot(): unknown {
    return { url: this.url, queries: [...this.views.values()].map((v) => ({ ...v.summary(), points: v.points })) };
  }

  /** The scale-out workers shown here, for the group view. */
  private workers(): { name: string | null; id: string; runId: string; group: GroupSummary }[] {
    return [...this.views.values()].filter((v) => v.group.seen).map((v) => ({ name: v.summary().name, id: v.id, runId: v.key, group: v.group.summary() }));
  }

  private broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const msg = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) c.write(msg);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // Only this machine's names: a page elsewhere cannot reach the UI through DNS rebinding.
    if (!this.hosts.has(req.headers.host ?? '')) return void send(res, 403, 'text/plain; charset=utf-8', 'Forbidden: unexpected Host header.\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void send(res, 405, 'text/plain; charset=utf-8', 'Only GET.\n');
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/': return void send(res, 200, 'text/html; charset=utf-8', page(), {
        // The page loads nothing from anywhere: no CDN, no fonts; this header makes that a guarantee.
        'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
      });
      case '/api/queries': return void send(res, 200, 'application/json; charset=utf-8', JSON.stringify(this.snapshot()));
      case '/group': return void send(res, 200, 'text/html; charset=utf-8', renderGroupPage(this.workers()), { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
      case '/api/group': return void send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ workers: this.workers() }));
      case '/metrics': return void send(res, 200, PROMETHEUS_CONTENT_TYPE, renderMetrics([...this.views.values()]));
      case '/api/events': return this.subscribe(req, res);
      default: return void send(res, 404, 'text/plain; charset=utf-8', `Not found: ${path}. Try /, /group, /metrics, /api/queries or /api/group.\n`);
    }
  }

  private subscribe(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(this.snapshot())}\n\n`);
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  private close(): void {
    this.closed = true;
    for (const p of this.ports) servers.delete(p);
    clearInterval(this.heartbeat);
    // The page keeps what it has and stops reconnecting: the final status stays readable.
    this.broadcast('closed', { reason: 'every query on this UI has terminated' });
    for (const c of this.clients) c.end();
    this.clients.clear();
    const done = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    for (const p of this.ports) closing.set(p, done);
    void done.then(() => { for (const p of this.ports) if (closing.get(p) === done) closing.delete(p); });
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

let pageHtml: string | undefined;
function page(): string {
  return (pageHtml ??= readFileSync(new URL('./page.html', import.meta.url), 'utf8'));
}
