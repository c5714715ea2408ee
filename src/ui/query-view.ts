import type { StreamingQuery } from '../runtime/streaming-query.ts';
import type { StreamingQueryProgress } from '../runtime/progress.ts';
import { toBatchPoint, type BatchPoint } from './batch-point.ts';
import { GroupView } from './group-view.ts';

/** Batches kept per query, as StreamingQuery keeps recentProgress. */
const RING = 100;

/** starting: no batch yet; active: the last trigger ran a batch; waiting: the last trigger found no data. */
export type QueryStatus = 'starting' | 'active' | 'waiting' | 'stopped' | 'failed';

/** What the page's header shows for one query, and what /metrics labels come from. */
export interface QuerySummary {
  readonly key: string;
  readonly id: string;
  readonly runId: string;
  readonly name: string | null;
  readonly status: QueryStatus;
  readonly startedAt: string;
  readonly endedAt: string | null;
  /** `Name: message`, then each cause on its own line; null unless the query failed. */
  readonly error: string | null;
  readonly batches: number;
  readonly inputRowsTotal: number;
  readonly outputRowsTotal: number;
  readonly rowsDroppedByWatermarkTotal: number;
  readonly malformedRowsDroppedTotal: number;
  readonly lastProgress: StreamingQueryProgress | null;
  /** trigger({ cron }): when the next tick's drain starts (ISO-8601); null for other triggers or once ended. */
  readonly nextTriggerTime: string | null;
}

/** One query run as the UI sees it: status, run totals and the last batches as points. It outlives the query until the server closes. */
export class QueryView {
  readonly points: BatchPoint[] = [];
  /** A scale-out worker's tasks and rebalances (empty for other queries). */
  readonly group = new GroupView();
  private status: QueryStatus = 'starting';
  private readonly startedAt = new Date().toISOString();
  private endedAt: string | null = null;
  private batches = 0;
  private inputRows = 0;
  private outputRows = 0;
  private lateRows = 0;
  private malformedRows = 0;
  /** The next cron tick the page was last told of with an idle update. */
  private nextShown: string | null = null;

  constructor(private readonly query: StreamingQuery) {}

  get key(): string { return this.query.runId; }
  get id(): string { return this.query.id; }
  get ended(): boolean { return this.endedAt !== null; }

  progress(p: StreamingQueryProgress): BatchPoint {
    const point = toBatchPoint(p);
    this.group.progress(p);
    this.points.push(point);
    if (this.points.length > RING) this.points.shift();
    this.status = 'active';
    this.batches++;
    this.inputRows += point.numInputRows;
    this.outputRows += point.numOutputRows;
    this.lateRows += point.rowsDroppedByWatermark;
    this.malformedRows += point.malformedRowsDropped;
    return point;
  }

  /** The query went idle; whether that is news for the page: it was active, or (cron) its next tick moved since last said. */
  idle(): boolean {
    if (this.ended) return false;
    const next = this.query.nextTriggerTime;
    const news = this.status !== 'waiting' || next !== this.nextShown;
    this.status = 'waiting';
    this.nextShown = next;
    return news;
  }

  terminated(): void {
    this.endedAt = new Date().toISOString();
    this.status = this.query.exception() ? 'failed' : 'stopped';
  }

  summary(): QuerySummary {
    const q = this.query;
    return {
      key: q.runId, id: q.id, runId: q.runId, name: q.name, status: this.status, startedAt: this.startedAt, endedAt: this.endedAt,
      error: describeError(q.exception()), batches: this.batches, inputRowsTotal: this.inputRows, outputRowsTotal: this.outputRows,
      rowsDroppedByWatermarkTotal: this.lateRows, malformedRowsDroppedTotal: this.malformedRows, lastProgress: q.lastProgress,
      nextTriggerTime: q.nextTriggerTime,
    };
  }
}

// The cause chain matters: a SinkError usually wraps the storage or network error that explains it.
function describeError(e: Error | null): string | null {
  if (!e) return null;
  const lines: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
    lines.push(`${depth ? 'caused by ' : ''}${cur.name}: ${cur.message}`);
    cur = cur.cause;
  }
  return lines.join('\n');
}
