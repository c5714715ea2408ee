/**
 * How `sluice run` reports the script's queries: a live status line on a terminal, one JSON
 * progress record per batch (`--log-format json`, the default when stdout is not a terminal),
 * or one plain line per batch (`--log-format text` into a pipe or file).
 */
import type { Session } from '../api/session.ts';
import type { StreamingQueryProgress } from '../runtime/progress.ts';
import { LiveRegion } from './live-region.ts';
import { QueryStatus, count, duration } from './query-status.ts';

export type ReportMode = 'live' | 'text' | 'json';

/** Redraws between batches, for the eta and the waiting line; batches redraw at once besides. */
const TICK_MS = 250;

export class RunReporter {
  private readonly queries = new Map<string, QueryStatus>();
  private readonly region: LiveRegion | null = null;
  private readonly ticker: NodeJS.Timeout | null = null;
  private readonly startedMs = Date.now();
  private readonly failures: string[] = [];
  private finished = false;

  constructor(private readonly mode: ReportMode, private readonly scriptName: string) {
    if (mode === 'live') {
      this.region = new LiveRegion(process.stdout, (w) => this.liveLines(w), process.stderr.isTTY ? [process.stderr] : []);
      this.ticker = setInterval(() => this.region?.draw(), TICK_MS);
      this.ticker.unref();
      this.region.draw();
    }
  }

  /** Follows every query the session starts. */
  watch(session: Session): void {
    session.streams.addListener({
      onQueryStarted: (e) => {
        const nextTrigger = (): string | null => session.streams.active.find((q) => q.runId === e.runId)?.nextTriggerTime ?? null;
        this.queries.set(e.runId, new QueryStatus(e.runId, this.labelFor(e.name ?? session.appName), Date.parse(e.timestamp), nextTrigger));
        this.region?.draw();
      },
      onQueryProgress: (e) => this.progress(e.progress),
      onQueryIdle: (e) => {
        const q = this.queries.get(e.runId);
        if (q && !q.idle) { q.idle = true; this.region?.draw(); }
      },
      onQueryTerminated: (e) => {
        const q = this.queries.get(e.runId);
        if (!q) return;
        q.ended = { exception: e.exception, atMs: Date.now() };
        if (e.exception !== null) this.failures.push(`query '${q.label}' failed: ${e.exception}`);
        this.ended(q);
      },
    });
  }

  /** Queries that ended with an error, as lines for stderr. */
  failed(): readonly string[] { return this.failures; }

  /** Ends the report with one summary line; the terminal is left as a plain terminal. */
  finish(outcome: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.ticker) clearInterval(this.ticker);
    this.region?.close();
    const qs = [...this.queries.values()];
    // A script that failed before starting any query has nothing to sum up; its error says it all.
    if (outcome !== 'done' && qs.length === 0) return;
    const batches = qs.reduce((a, q) => a + q.batches, 0), rows = qs.reduce((a, q) => a + q.rows, 0);
    const line = `sluice run: ${outcome}: ${count(qs.length, 'query', 'queries')}, ${count(batches, 'batch', 'batches')}, ${count(rows, 'row', 'rows')} in ${duration(Date.now() - this.startedMs)}\n`;
    // In json mode stdout is for the records; the summary is not one.
    (this.mode === 'json' ? process.stderr : process.stdout).write(line);
  }

  private progress(p: StreamingQueryProgress): void {
    const q = this.queries.get(p.runId);
    if (!q) return;
    q.update(p);
    if (this.mode === 'json') process.stdout.write(JSON.stringify(p, bigintsAsStrings) + '\n');
    else if (this.mode === 'text') process.stdout.write(q.plainLine(Date.now()) + '\n');
    else this.region?.draw();
  }

  /** A query's last status stays on the terminal, followed by how it ended. */
  private ended(q: QueryStatus): void {
    if (this.mode === 'live' && this.region) {
      const bar = q.bar(Date.now());
      this.region.print([q.fields().join('  '), ...(bar === null ? [] : ['  ' + bar]), q.closingLine()].join('\n'));
    } else {
      (this.mode === 'json' ? process.stderr : process.stdout).write(q.closingLine() + '\n');
    }
  }

  private liveLines(width: number): string[] {
    const now = Date.now();
    const running = [...this.queries.values()].filter((q) => q.ended === null);
    if (this.queries.size === 0) return [`${this.scriptName}  running ${duration(now - this.startedMs)}, no query started yet`];
    return running.flatMap((q) => {
      const bar = q.bar(now);
      return [fitFields(q.fields(), width), ...(bar === null ? [] : ['  ' + bar])];
    });
  }

  /** The query's name, else the app's; a second running query under the same label gets `#2`. */
  private labelFor(base: string): string {
    const taken = new Set([...this.queries.values()].filter((q) => q.ended === null).map((q) => q.label));
    if (!taken.has(base)) return base;
    let n = 2;
    while (taken.has(`${base}#${n}`)) n += 1;
    return `${base}#${n}`;
  }
}

/** As many whole fields as fit, rather than a field cut in half. */
function fitFields(fields: readonly string[], width: number): string {
  let line = fields[0] ?? '';
  for (const f of fields.slice(1)) {
    if (line.length + 2 + f.length > width) break;
    line += '  ' + f;
  }
  return line;
}

function bigintsAsStrings(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}
