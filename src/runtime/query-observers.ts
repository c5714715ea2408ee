import type { StreamingQuery } from './streaming-query.ts';
import type { StreamingQueryListener } from './progress.ts';

/** Where a query's listeners live (session.streams); structural, so runtime needs nothing from api/. */
export interface ListenerRegistry {
  addListener(l: StreamingQueryListener): void;
  removeListener(l: StreamingQueryListener): void;
}

/** What an observer may read of a query being started. */
export interface ObserverSettings {
  /** The writer's options (case-insensitive keys). */
  readonly options: ReadonlyMap<string, string>;
  /** The session's conf. */
  readonly conf: ReadonlyMap<string, string>;
}

/** An observer's hold on what it opened for one query. */
export interface QueryAttachment {
  /**
   * Start watching the query: called once, after it is registered with its session and before
   * it is launched, so a listener added here hears onQueryStarted. Letting go when the query
   * terminates is the observer's own affair (it hears onQueryTerminated).
   */
  attach(query: StreamingQuery, listeners: ListenerRegistry): void;
  /** The query never started: release what was opened. */
  release(): void;
}

/**
 * Something a layer above runtime attaches to every query this process starts: the web UI.
 * Starting a query runs it in two steps, as it does its own settings: configure() reads and
 * checks the observer's settings before anything is opened (a bad one leaves nothing held);
 * the function it returns opens what the observer needs (binds the UI's port) once the
 * checkpoint's lease is held, before the sources exist, and a failure there fails start().
 */
export interface QueryObserver {
  /** Writer options it reads; the writer accepts them besides the engine's own and the sink's. */
  readonly options: readonly string[];
  /** Read and check this query's settings (throw OptionError). null: the query does not ask for this observer. */
  configure(settings: ObserverSettings): (() => Promise<QueryAttachment>) | null;
}

/*
 * Why a registry and not an import: the web UI (ui/) sits above the API (api/) and the runtime,
 * which must not import it, yet `ui.port` is a writer option and query.uiUrl is set by start().
 * So the runtime offers this hook and the layer above plugs in: importing the package (src/index.ts)
 * or the CLI registers the UI (ui/register-web-ui.ts). A query's UI is then one more
 * StreamingQueryListener on its session, as Spark's streaming tab is a listener on its bus.
 */
const observers: QueryObserver[] = [];

/** Attach `observer` to every query started from now on. Registering the same observer again does nothing. */
export function registerQueryObserver(observer: QueryObserver): void {
  if (!observers.includes(observer)) observers.push(observer);
}

/** The observers registered, in order. */
export function queryObservers(): readonly QueryObserver[] {
  return observers;
}
