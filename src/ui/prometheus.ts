import type { QueryView } from './query-view.ts';
import type { BatchPoint } from './batch-point.ts';

/** Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;
interface Sample { labels: Labels; value: number }
interface Family { name: string; type: 'gauge' | 'counter'; help: string; samples: (v: QueryView, last: BatchPoint | undefined) => Sample[] }

const one = (value: number | null | undefined): Sample[] => (value === null || value === undefined ? [] : [{ labels: {}, value }]);
const seconds = (ms: number | null | undefined): number | null => (ms === null || ms === undefined ? null : ms / 1000);

// Counters count this run of the query in this process (they restart at 0 with it, which
// Prometheus' rate() handles); gauges are the last batch's values.
const families: Family[] = [
  { name: 'sluice_query_info', type: 'gauge', help: 'Always 1; the query\'s run id and status as labels.',
    samples: (v) => [{ labels: { run_id: v.key, status: v.summary().status }, value: 1 }] },
  { name: 'sluice_query_active', type: 'gauge', help: '1 while the query runs, 0 once it stopped or failed.',
    samples: (v) => one(v.ended ? 0 : 1) },
  { name: 'sluice_query_failed', type: 'gauge', help: '1 if the query ended with an error.',
    samples: (v) => one(v.summary().status === 'failed' ? 1 : 0) },
  { name: 'sluice_batches_total', type: 'counter', help: 'Micro-batches completed by this run of the query.',
    samples: (v) => one(v.summary().batches) },
  { name: 'sluice_last_batch_id', type: 'gauge', help: 'Id of the last completed batch.',
    samples: (_v, p) => one(p?.batchId) },
  { name: 'sluice_last_progress_timestamp_seconds', type: 'gauge', help: 'Start of the last completed batch, seconds since the epoch.',
    samples: (_v, p) => one(seconds(p?.timestampMs)) },
  { name: 'sluice_input_rows_total', type: 'counter', help: 'Rows read from the sources by this run of the query.',
    samples: (v) => one(v.summary().inputRowsTotal) },
  { name: 'sluice_output_rows_total', type: 'counter', help: 'Rows handed to the sink by this run of the query.',
    samples: (v) => one(v.summary().outputRowsTotal) },
  { name: 'sluice_batch_input_rows', type: 'gauge', help: 'Rows read by the last batch.',
    samples: (_v, p) => one(p?.numInputRows) },
  { name: 'sluice_input_rows_per_second', type: 'gauge', help: 'Input rate of the last batch: its rows over the time since the previous batch started.',
    samples: (_v, p) => one(p?.inputRowsPerSecond) },
  { name: 'sluice_processed_rows_per_second', type: 'gauge', help: 'Processing rate of the last batch: its rows over its own duration.',
    samples: (_v, p) => one(p?.processedRowsPerSecond) },
  { name: 'sluice_batch_duration_ms', type: 'gauge', help: 'Duration of the last batch by phase, in milliseconds; phase="triggerExecution" is the whole batch.',
    samples: (_v, p) => (p ? [...Object.entries(p.phasesMs).map(([phase, ms]) => ({ labels: { phase }, value: ms })), { labels: { phase: 'triggerExecution' }, value: p.totalMs }] : []) },
  { name: 'sluice_watermark_seconds', type: 'gauge', help: 'Event-time watermark the last batch ran with, seconds since the epoch.',
    samples: (_v, p) => one(seconds(p?.watermarkMs)) },
  { name: 'sluice_max_event_time_seconds', type: 'gauge', help: 'Largest event time in the last batch that had rows, seconds since the epoch.',
    samples: (v) => one(seconds(lastMaxEventTime(v.points))) },
  { name: 'sluice_state_rows', type: 'gauge', help: 'Rows held in the state store after the last batch (summed over the query\'s stateful operators).',
    samples: (_v, p) => one(p?.stateRows) },
  { name: 'sluice_state_rows_updated', type: 'gauge', help: 'State rows updated by the last batch.',
    samples: (_v, p) => one(p?.stateRowsUpdated) },
  { name: 'sluice_state_rows_removed', type: 'gauge', help: 'State rows removed (windows closed) by the last batch.',
    samples: (_v, p) => one(p?.stateRowsRemoved) },
  { name: 'sluice_state_memory_bytes', type: 'gauge', help: 'Memory the state store used after the last batch, in bytes.',
    samples: (_v, p) => one(p?.stateMemoryBytes) },
  { name: 'sluice_rows_dropped_by_watermark_total', type: 'counter', help: 'Rows dropped as late (their window was already closed) by this run of the query.',
    samples: (v) => one(v.summary().rowsDroppedByWatermarkTotal) },
  { name: 'sluice_malformed_rows_dropped_total', type: 'counter', help: 'Rows dropped by from_json\'s DROPMALFORMED mode in this run of the query.',
    samples: (v) => one(v.summary().malformedRowsDroppedTotal) },
  { name: 'sluice_kafka_offsets_behind_latest', type: 'gauge', help: 'Kafka lag after the last batch: latest offset minus the batch\'s end offset, summed over the source\'s partitions.',
    samples: (_v, p) => (p?.kafkaLag ?? []).map((l) => ({ labels: { source: l.source }, value: l.offsetsBehindLatest })) },
];

// A batch without rows has no event times; the chart and this gauge keep the last one seen.
function lastMaxEventTime(points: readonly BatchPoint[]): number | null {
  for (let i = points.length - 1; i >= 0; i--) if (points[i]!.maxEventTimeMs !== null) return points[i]!.maxEventTimeMs;
  return null;
}

/** Every family with HELP and TYPE, one sample per query (and per phase or source where labelled). */
export function renderMetrics(views: readonly QueryView[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const v of views) {
      const base = { query: v.summary().name ?? '', id: v.id };
      for (const s of f.samples(v, v.points.at(-1))) out.push(`${f.name}${labelText({ ...base, ...s.labels })} ${numberText(s.value)}`);
    }
  }
  return out.join('\n') + '\n';
}

function labelText(labels: Labels): string {
  return `{${Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function escapeHelp(s: string): string { return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n'); }

function numberText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}
