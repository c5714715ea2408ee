import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DataFrame } from './dataframe.ts';
import { CheckpointError, OptionError, AnalysisError } from '../errors.ts';
import { planQuery } from '../plan/planner.ts';
import type { PhysicalPlan } from '../plan/physical-plan.ts';
import { sinks } from '../sinks/registry.ts';
import type { OutputMode, Sink } from '../sinks/sink.ts';
import { foreachBatchSink, type ForeachBatchFunction } from '../sinks/foreach-batch/foreach-batch-sink.ts';
import { storageFor } from '../storage/storage-for.ts';
import { loadOrCreateQueryId } from '../checkpoint/query-metadata.ts';
import { Checkpoint } from '../checkpoint/checkpoint.ts';
import { MicroBatchExecution } from '../runtime/micro-batch-execution.ts';
import { StreamingQuery } from '../runtime/streaming-query.ts';
import { defaultTrigger, parseTrigger, type Trigger, type TriggerSpec } from '../runtime/trigger.ts';
import { crashHook } from '../runtime/crash-hook.ts';
import { QueryLease } from '../checkpoint/query-lease.ts';
import type { Source } from '../sources/source.ts';
import { CaseInsensitiveMap } from '../util/options.ts';
import { openUi, type UiLease } from '../ui/ui-server.ts';
import { parseUiPort } from '../ui/ui-port.ts';

/** Options the engine itself reads; every other option belongs to the sink. */
const engineOptions = ['checkpointLocation', 'path', 'lateRowsPath', 'ui.port'];
const activeCheckpoints = new Set<string>();

/** df.writeStream: Spark's DataStreamWriter. */
export class DataStreamWriter {
  private fmt = 'console';
  private readonly opts = new CaseInsensitiveMap();
  private mode: OutputMode = 'append';
  private partitionCols: string[] = [];
  private name: string | null = null;
  private trig: Trigger = defaultTrigger;
  private batchFn: ForeachBatchFunction | null = null;

  constructor(private readonly df: DataFrame) {}

  format(name: string): this { this.fmt = name; this.batchFn = null; return this; }
  option(key: string, value: string | number | boolean): this { this.opts.set(key, String(value)); return this; }
  options(o: Record<string, string | number | boolean>): this { for (const [k, v] of Object.entries(o)) this.option(k, v); return this; }
  outputMode(mode: OutputMode | string): this {
    const m = mode.toLowerCase();
    if (m !== 'append' && m !== 'update' && m !== 'complete') throw new OptionError(`outputMode '${mode}' is not one of append, update, complete.`);
    this.mode = m;
    return this;
  }
  partitionBy(...cols: (string | string[])[]): this { this.partitionCols = cols.flat(); return this; }
  queryName(name: string): this { this.name = name; return this; }
  trigger(t: TriggerSpec): this { this.trig = parseTrigger(t); return this; }
  foreachBatch(fn: ForeachBatchFunction): this { this.batchFn = fn; this.fmt = 'foreachBatch'; return this; }

  /** Option 'ui.port', else conf 'sluice.ui.port' (set by `sluice run --ui`); null: no UI. */
  private uiPort(): number | null {
    const opt = this.opts.get('ui.port');
    if (opt !== undefined) return parseUiPort(opt, `Option 'ui.port'`);
    const conf = this.df.session.conf.get('sluice.ui.port');
    return conf === undefined ? null : parseUiPort(conf, `Session conf 'sluice.ui.port'`);
  }

  /** Analyse the plan, open the checkpoint and start the trigger loop. Errors in the query or options reject here. */
  async start(outputPath?: string): Promise<StreamingQuery> {
    const session = this.df.session;
    const plan = planQuery(this.df.plan);
    if (outputPath !== undefined) this.opts.set('path', outputPath);

    let sink: Sink;
    let temporaryCheckpointOk = true;
    if (this.batchFn) {
      sink = foreachBatchSink(this.batchFn, plan.schema);
    } else {
      const provider = sinks.get(this.fmt);
      if (!provider) throw new OptionError(`Unknown sink format '${this.fmt}'. Known formats: ${[...sinks.keys()].join(', ')}, or use foreachBatch(fn).`);
      const known = [...new Set([...engineOptions, ...provider.options])];
      const unknown = this.opts.unknown(known);
      if (unknown.length) {
        throw new OptionError(`Unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} for the ${this.fmt} sink. `
          + `Its options are: ${known.join(', ')}.`);
      }
      if (!provider.outputModes.includes(this.mode)) {
        throw new AnalysisError(`The ${this.fmt} sink does not support output mode '${this.mode}'; it supports ${provider.outputModes.join(', ')}.`
          + (this.fmt === 'parquet' ? ' Files are append-only: use append, or write update/complete results with foreachBatch.' : ''));
      }
      temporaryCheckpointOk = this.fmt === 'console' || this.fmt === 'memory';
      sink = provider.create({ path: this.opts.get('path'), options: this.opts, partitionBy: this.partitionCols, outputMode: this.mode, queryName: this.name ?? undefined, schema: plan.schema, eventTimeColumn: eventTimeColumnOf(plan), conf: session.conf });
    }
    const hasWatermark = plan.watermarks.length > 0;
    if (plan.stateful) plan.stateful.checkOutputMode(this.mode, hasWatermark);
    else if (this.mode === 'complete') {
      throw new AnalysisError(`Complete output mode is not supported when there are no streaming aggregations on streaming DataFrames; use append.`);
    }
    const latePath = this.opts.get('lateRowsPath');
    if (latePath !== undefined && latePath === this.opts.get('path')) {
      throw new OptionError(`Option 'lateRowsPath' must differ from the output path '${latePath}': both name their files by batch id.`);
    }
    if (latePath !== undefined && !plan.stateful) {
      throw new OptionError(`Option 'lateRowsPath' needs a watermarked aggregation or dropDuplicates: without one no row is late.`);
    }
    const lateSink = latePath === undefined ? undefined : sinks.get('parquet')!.create({
      path: latePath, options: new Map(), partitionBy: [], outputMode: 'append', schema: plan.stateful!.inputSchema, conf: session.conf,
    });
    if (this.partitionCols.length && this.fmt !== 'parquet') {
      throw new OptionError(`partitionBy(${this.partitionCols.join(', ')}) applies to file sinks only (parquet), not ${this.fmt}.`);
    }

    // Every setting is read before anything is opened: a bad value must leave nothing held.
    const uiPort = this.uiPort();
    const settings = {
      stateSnapshotInterval: session.stateSnapshotInterval(), watermarkPolicy: session.watermarkPolicy(),
      minBatchesToRetain: session.minBatchesToRetain(), conf: session.checkpointConf(),
    };

    let checkpointLocation = this.opts.get('checkpointLocation');
    if (!checkpointLocation) {
      if (!temporaryCheckpointOk && !this.batchFn) {
        throw new OptionError(`checkpointLocation must be specified for the ${this.fmt} sink: add .option('checkpointLocation', './checkpoints/${this.name ?? 'my-query'}'). `
          + `It is where the query keeps its progress, so that a restart continues exactly where it stopped.`);
      }
      checkpointLocation = mkdtempSync(path.join(tmpdir(), 'sluice-checkpoint-'));
    }
    const { storage, path: cp } = storageFor(checkpointLocation, 'checkpointLocation', session.conf);
    if (activeCheckpoints.has(cp)) {
      throw new CheckpointError(`Another query using checkpoint ${cp} is already active in this process; stop it first or use another checkpointLocation.`);
    }
    // Held from here, so a second start() in this process is refused even while this one awaits.
    activeCheckpoints.add(cp);
    let id: string, runId: string, lease: QueryLease | null = null, ui: UiLease | null = null, sources: Source[];
    const checkpoint = new Checkpoint(storage, cp);
    try {
      id = await loadOrCreateQueryId(checkpoint);
      runId = randomUUID();
      lease = await QueryLease.acquire(checkpoint, runId);
      await sink.open?.(id);
      await lateSink?.open?.(id);
      // The port is bound before the sources exist: a port in use fails start() with little to undo.
      ui = uiPort === null ? null : await openUi(uiPort);
      const resuming = await Promise.all(plan.sources.map((_, i) => storage.exists(checkpoint.sourceStartPath(i))));
      sources = plan.sources.map((s, i) => s.provider.create({ options: s.options, metadataPath: checkpoint.sourceDir(i), resuming: resuming[i]! }));
    } catch (e) {
      ui?.release();
      await lease?.release();
      activeCheckpoints.delete(cp);
      throw e;
    }
    const held = lease;
    held.startRenewing();
    const query = new StreamingQuery(id, runId, this.name, session.streams.listeners, async () => {
      activeCheckpoints.delete(cp);
      session.streams.remove(query);
      await Promise.all(sources.map((s) => s.stop().catch(() => undefined)));
      await sink.close?.();
      await held.release();
    });
    const exec = new MicroBatchExecution({
      id, runId, name: this.name, storage, checkpoint: cp, plan, sources, sink, lateSink, outputMode: this.mode, trigger: this.trig,
      ...settings,
      leaseLost: () => held.lostReason,
      onProgress: (p) => query.progress(p), onIdle: () => query.idle(), onPhase: crashHook(),
    });
    session.streams.add(query);
    if (ui) {
      query.ui = ui.url;
      ui.watch(query, session.streams);
    }
    query.launch(exec);
    return query;
  }
}

/** The output column that holds event time, for the sink's log: a window, or the watermarked column. */
function eventTimeColumnOf(plan: PhysicalPlan): string | undefined {
  const names = plan.schema.fields.map((f) => f.name);
  for (const n of ['window', 'session_window']) if (names.includes(n)) return n;
  return plan.watermarks.map((w) => w.column).find((c) => names.includes(c));
}
