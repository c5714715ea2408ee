/**
 * What `sluice run` knows about one of the script's queries, from its progress records, and the
 * words it shows for it: a status line, the availableNow progress bar, the closing line.
 */
import type { SourceProgress, StreamingQueryProgress } from '../runtime/progress.ts';
import { behindByTopic } from '../runtime/offsets-behind.ts';

const BAR_WIDTH = 20;

export class QueryStatus {
  batches = 0;
  rows = 0;
  last: StreamingQueryProgress | null = null;
  idle = false;
  ended: { readonly exception: string | null; readonly atMs: number } | null = null;
  /** Offsets position of the bar's sources when this run began: a resumed query's bar starts at 0%, not where the checkpoint left off. */
  private base: number | null = null;
  private firstBatchMs: number | null = null;

  /** trigger({ cron }): the query's next tick, asked when drawn (it moves between batches, with no progress record). */
  constructor(readonly runId: string, readonly label: string, readonly startedMs: number, private readonly nextTrigger: () => string | null = () => null) {}

  update(p: StreamingQueryProgress): void {
    this.batches += 1;
    this.rows += p.numInputRows;
    this.last = p;
    this.idle = false;
    if (this.base === null) {
      this.base = sumOf(barSources(p).map((s) => position(s.startOffset) ?? (position(s.endOffset) ?? 0) - s.numInputRows));
      this.firstBatchMs = Date.parse(p.timestamp);
    }
  }

  /** The status line's fields, most telling first, so a narrow terminal drops the tail ones. */
  fields(): string[] {
    const p = this.last;
    const next = this.ended === null ? this.nextTrigger() : null;
    const tick = next === null ? [] : [`next tick ${next.replace(/\.000Z$/, 'Z')}`];
    if (this.ended === null && p === null) return [this.label, tick.length > 0 ? 'waiting' : 'starting', ...tick];
    if (p === null) return [this.label, 'no batch'];
    const out = [this.label, `batch ${p.batchId}`, `in ${fmt(p.inputRowsPerSecond)} rows/s`, `proc ${fmt(p.processedRowsPerSecond)} rows/s`];
    const wm = p.eventTime.watermark;
    if (wm !== undefined) out.push(`wm ${Date.parse(wm) === 0 ? '-' : wm.replace(/\.000Z$/, 'Z')}`);
    const state = stateRows(p.stateOperators);
    if (state !== null) out.push(`state ${fmt(state)} rows`);
    const lag = p.sources.flatMap(lagOf);
    if (lag.length > 0) out.push(`lag ${lag.join(' ')}`);
    if (this.idle) out.push('idle');
    // Early in the line: between ticks it is what the user waits for.
    if (tick.length > 0) out.splice(2, 0, ...tick);
    return out;
  }

  /** `[#####-----] 64% 128,000/200,000 offsets  eta 3s` for availableNow/once queries; null for the others. */
  bar(nowMs: number): string | null {
    const p = this.last;
    if (p === null || this.base === null) return null;
    const sources = barSources(p);
    if (sources.length === 0) return null;
    const target = sumOf(sources.map((s) => position(s.targetOffset) ?? 0)) - this.base;
    const done = sumOf(sources.map((s) => position(s.endOffset) ?? 0)) - this.base;
    const frac = target <= 0 ? 1 : Math.min(1, Math.max(0, done / target));
    const filled = Math.round(frac * BAR_WIDTH);
    let text = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.floor(frac * 100)}% ${fmt(done)}/${fmt(Math.max(target, 0))} offsets`;
    if (this.ended === null && frac < 1 && done > 0 && this.firstBatchMs !== null) {
      // The rate since the first batch began: startup (connecting, resolving offsets) is not in it.
      const elapsed = nowMs - this.firstBatchMs;
      const left = ((target - done) * elapsed) / done;
      text += `  eta ${left < 1000 ? '<1s' : duration(Math.round(left / 1000) * 1000)}`;
    }
    return text;
  }

  /** One line with everything, for logs (no terminal width to fit). */
  plainLine(nowMs: number): string {
    const bar = this.bar(nowMs);
    return [...this.fields(), ...(bar === null ? [] : [bar])].join('  ');
  }

  /** Said once when the query ends. */
  closingLine(): string {
    const ran = this.ended === null ? 0 : this.ended.atMs - this.startedMs;
    const what = `${count(this.batches, 'batch', 'batches')}, ${count(this.rows, 'row', 'rows')} in ${duration(ran)}`;
    return this.ended?.exception ? `${this.label}  failed after ${what}` : `${this.label}  done: ${what}`;
  }
}

/** Sources that know where an availableNow/once run stops. */
function barSources(p: StreamingQueryProgress): SourceProgress[] {
  return p.sources.filter((s) => position(s.targetOffset) !== null);
}

/** Kafka lag per topic (`orders=12,000`), or per source for sources with a plain numeric offset. */
function lagOf(s: SourceProgress): string[] {
  const { latestOffset: latest, endOffset: end } = s;
  if (typeof latest === 'number' && typeof end === 'number') return [`${s.description}=${fmt(latest - end)}`];
  return [...(behindByTopic(end, latest) ?? [])].map(([topic, behind]) => `${topic}=${fmt(behind)}`);
}

/** Where an offset stands as one number: the sum of its numeric leaves (Kafka's {"topic":{"0":120}}), or null if it has none. */
export function position(offset: unknown): number | null {
  if (typeof offset === 'number') return Number.isFinite(offset) ? offset : null;
  if (typeof offset === 'bigint') return Number(offset);
  if (!isRecord(offset)) return null;
  let total: number | null = null;
  for (const v of Object.values(offset)) {
    const n = position(v);
    if (n !== null) total = (total ?? 0) + n;
  }
  return total;
}

function stateRows(ops: readonly unknown[]): number | null {
  let total: number | null = null;
  for (const op of ops) {
    const n = isRecord(op) ? op.numRowsTotal : undefined;
    if (typeof n === 'number') total = (total ?? 0) + n;
  }
  return total;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const sumOf = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** 48,210 */
export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `1 row`, `20,000 rows` */
export function count(n: number, one: string, many: string): string {
  return `${fmt(n)} ${n === 1 ? one : many}`;
}

/** 850ms, 3.2s, 4m05s, 1h02m */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const secs = Math.round(s);
  if (secs < 3600) return `${Math.floor(secs / 60)}m${pad(secs % 60)}s`;
  const mins = Math.round(s / 60);
  return `${Math.floor(mins / 60)}h${pad(mins % 60)}m`;
}
