import { formatTimestamp } from '../../data/cells.ts';
import { rangeText } from '../../state/state-reader.ts';
import { formatTable } from '../format-table.ts';
import { describeKey } from './operator-shape.ts';
import { isOffsetsByPartition } from '../../runtime/offsets-behind.ts';
import type { CheckpointReport } from './checkpoint-report.ts';

const n = (v: number): string => v.toLocaleString('en-US');
/** A watermark of 0 means "none yet" (the first batch, or no withWatermark), not 1970. */
const watermark = (ms: number | null): string => (ms === null ? '-' : ms === 0 ? 'none' : formatTimestamp(ms));

/** `orders 0:12 1:18 2:12 3:18` for Kafka offsets; JSON for any other source. */
export function compactOffsets(o: unknown): string {
  if (o === null || o === undefined) return '-';
  if (!isOffsetsByPartition(o)) return JSON.stringify(o);
  return Object.entries(o).map(([topic, parts]) => `${topic} ${Object.entries(parts).map(([p, v]) => `${p}:${v}`).join(' ')}`).join('; ');
}

/** The text `sluice checkpoint show` prints. */
export function formatReport(r: CheckpointReport): string {
  const out: string[] = [];
  out.push(`Checkpoint  ${r.checkpoint}`, `Query id    ${r.queryId}`);
  if (r.scaleOut) return formatScaleOut(r, out);
  for (const s of r.sources) out.push(`Source ${s.index}    starts at ${compactOffsets(s.start)}  (sources/${s.index}/0)`);
  if (!r.sources.length) out.push('Sources     none recorded yet (sources/<i>/0)');
  out.push('');

  if (r.batches.length) {
    out.push('Batches (offsets/<N>: planned ends, exclusive; commits/<N>: done)');
    const multi = r.batches.some((b) => b.endOffsets.length > 1);
    const srcCols = Math.max(...r.batches.map((b) => b.endOffsets.length));
    const cols = ['batch', 'planned at', 'watermark',
      ...Array.from({ length: srcCols }, (_, i) => (multi ? `source ${i} end offsets` : 'end offsets')), 'records', 'committed at', 'next watermark'];
    const numeric = cols.map((c) => c === 'batch' || c === 'records');
    out.push(formatTable(cols, numeric, r.batches.map((b) => [
      String(b.batchId), formatTimestamp(b.batchTimestampMs), watermark(b.batchWatermarkMs),
      ...Array.from({ length: srcCols }, (_, i) => compactOffsets(b.endOffsets[i])),
      b.numInputRecords === null ? '?' : n(b.numInputRecords),
      !b.committed ? 'no: re-run on restart' : b.commitTimestampMs === null ? 'yes' : formatTimestamp(b.commitTimestampMs),
      watermark(b.nextBatchWatermarkMs),
    ])).replace(/\(\d+ rows?\)\n$/, '').trimEnd());
  } else {
    out.push('Batches     none yet (offsets/ is empty)');
  }

  for (const op of r.stateOperators) {
    out.push('', `State operator ${op.operatorId} (state/${op.operatorId}/)`);
    if (op.shape) {
      out.push(`  operator    ${op.shape.operator}`, `  keys        ${op.shape.keys.map(describeKey).join(', ')}`);
      if (op.shape.aggregates.length) out.push(`  aggregates  ${op.shape.aggregates.map((a) => `${a.name}: ${a.type}${a.fn ? ` = ${a.fn}` : ''}`).join(', ')}`);
    } else {
      out.push(`  no _metadata file: the operator's keys are unknown, so its rows cannot be shown`);
    }
    if (op.files.length) {
      out.push(formatTable(['version', 'file', 'bytes', 'rows', 'removed keys'], [true, false, true, true, true],
        op.files.map((f) => [String(f.version), f.name, n(f.bytes), n(f.rows), f.kind === 'delta' ? n(f.deletedRows) : '-'])).replace(/\(\d+ rows?\)\n$/, '').trimEnd());
    }
    out.push(`  readable versions ${rangeText(op.readableVersions)}`
      + (op.latestVersion !== null && op.numRowsAtLatest !== null ? `; version ${op.latestVersion} (the last committed batch) holds ${n(op.numRowsAtLatest)} keys` : ''));
  }

  pushTotals(out, r);
  return out.join('\n') + '\n';
}

/** A scale-out checkpoint: its stages, then one line per task (each `tasks/<task>/` is shown in full by `show` on it). */
function formatScaleOut(r: CheckpointReport, out: string[]): string {
  const { layout, tasks } = r.scaleOut!;
  for (const s of layout.stages) {
    out.push(`Stage ${s.stage}     ${s.tasks} task${s.tasks === 1 ? '' : 's'} (${s.stage}_0..${s.stage}_${s.tasks - 1}) over ${Object.entries(s.input).map(([t, k]) => `${t} (${k} partitions)`).join(', ')}  (scale-out)`);
  }
  out.push('');
  if (tasks.length) {
    out.push('Tasks (tasks/<task>/: an ordinary checkpoint each; sluice checkpoint show <checkpoint>/tasks/<task> for its batches)');
    out.push(formatTable(['task', 'batches', 'committed', 'last committed at', 'records', 'end offsets', 'lease'], [false, true, true, false, true, false, false],
      tasks.map(({ task, report: t, lease }) => {
        const last = t.batches.at(-1);
        const done = [...t.batches].reverse().find((b) => b.committed);
        return [
          task, n(t.totals.batches), n(t.totals.committedBatches) + (last && !last.committed ? ` (${last.batchId}: re-run on restart)` : ''),
          done?.commitTimestampMs ? formatTimestamp(done.commitTimestampMs) : done ? 'yes' : '-',
          n(t.totals.inputRecords), compactOffsets(last?.endOffsets[0]),
          !lease ? 'free' : `${lease.held ? '' : 'left by '}pid ${lease.pid} on ${lease.host}`,
        ];
      })).replace(/\(\d+ rows?\)\n$/, '').trimEnd());
  } else {
    out.push('Tasks       none started yet (tasks/ is empty)');
  }
  pushTotals(out, r);
  return out.join('\n') + '\n';
}

function pushTotals(out: string[], r: CheckpointReport): void {
  const t = r.totals;
  const ops = r.stateOperators.length || Math.max(0, ...(r.scaleOut?.tasks ?? []).map((k) => k.report.stateOperators.length));
  out.push('', `Totals: ${n(t.batches)} batch${t.batches === 1 ? '' : 'es'} (${n(t.committedBatches)} committed), ${n(t.inputRecords)} records read; `
    + (ops ? `${ops} state operator${ops === 1 ? '' : 's'}, ${n(t.stateFiles)} state files, ${n(t.stateBytes)} bytes` : 'no state (no aggregation or dropDuplicates)'));
}
