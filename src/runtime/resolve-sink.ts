import { OptionError, AnalysisError } from '../errors.ts';
import { type PhysicalPlan, lateRowsSchema } from '../plan/physical-plan.ts';
import { sinks, defaultSinkFormat, lateRowsSink } from '../sinks/registry.ts';
import type { OutputMode, Sink } from '../sinks/sink.ts';
import { foreachBatchFormat, foreachBatchSink, type ForeachBatchFunction } from '../sinks/foreach-batch/foreach-batch-sink.ts';
import type { CaseInsensitiveMap } from '../util/case-insensitive-map.ts';

/** Writer options the engine itself reads; every other option belongs to the sink (or to a query observer). */
export const ENGINE_OPTIONS: readonly string[] = ['checkpointLocation', 'path', 'lateRowsPath', 'sluice.scaleOut'];

/** Where a query's rows go: a format of the sink registry (null: its default), or the user's function. */
export type SinkSpec =
  | { readonly kind: 'format'; readonly format: string | null }
  | { readonly kind: 'foreachBatch'; readonly fn: ForeachBatchFunction };

/** What the writer collected that decides the sink. */
export interface SinkRequest {
  readonly sink: SinkSpec;
  /** All writer options; start(path) has already been stored as 'path'. */
  readonly options: CaseInsensitiveMap;
  readonly outputMode: OutputMode;
  readonly partitionBy: readonly string[];
  readonly queryName: string | null;
}

export interface ResolvedSink {
  readonly sink: Sink;
  /** Where late rows go, when the writer asked (option lateRowsPath). */
  readonly lateSink: Sink | undefined;
  /** The query may run without checkpointLocation, in a temporary one. */
  readonly temporaryCheckpoint: boolean;
  /** The format's name, for messages. */
  readonly format: string;
}

/**
 * Create the query's sink (and late-rows sink) and check the writer's settings against the plan
 * and the sink: unknown options, output mode, lateRowsPath, partitionBy. Opens nothing: the
 * sinks open once the checkpoint's lease is held.
 * `extraOptions`: writer options that query observers read (the web UI's `ui.port`).
 */
export function resolveSink(req: SinkRequest, plan: PhysicalPlan, conf: ReadonlyMap<string, string>, extraOptions: readonly string[]): ResolvedSink {
  const opts = req.options, mode = req.outputMode;
  let sink: Sink, format: string;
  let temporaryCheckpoint = true;
  if (req.sink.kind === 'foreachBatch') {
    format = foreachBatchFormat;
    sink = foreachBatchSink(req.sink.fn, plan.schema);
  } else {
    format = req.sink.format ?? defaultSinkFormat;
    const provider = sinks.get(format);
    if (!provider) throw new OptionError(`Unknown sink format '${format}'. Known formats: ${[...sinks.keys()].join(', ')}, or use foreachBatch(fn).`);
    const known = [...new Set([...ENGINE_OPTIONS, ...extraOptions, ...provider.options])];
    const unknown = opts.unknown(known);
    if (unknown.length) {
      throw new OptionError(`Unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} for the ${format} sink. `
        + `Its options are: ${known.join(', ')}.`);
    }
    if (!provider.outputModes.includes(mode)) {
      throw new AnalysisError(`The ${format} sink does not support output mode '${mode}'; it supports ${provider.outputModes.join(', ')}.`
        + (provider.outputModeHint ? ` ${provider.outputModeHint}` : ''));
    }
    temporaryCheckpoint = provider.temporaryCheckpoint ?? false;
    sink = provider.create({ path: opts.get('path'), options: opts, partitionBy: req.partitionBy, outputMode: mode, queryName: req.queryName ?? undefined, schema: plan.schema, eventTimeColumn: eventTimeColumnOf(plan), conf });
  }
  if (!plan.stages.length && mode === 'complete') {
    throw new AnalysisError(`Complete output mode is not supported when there are no streaming aggregations on streaming DataFrames; use append.`);
  }
  const latePath = opts.get('lateRowsPath');
  if (latePath !== undefined && latePath === opts.get('path')) {
    throw new OptionError(`Option 'lateRowsPath' must differ from the output path '${latePath}': both name their files by batch id.`);
  }
  if (latePath !== undefined && !plan.stages.length) {
    throw new OptionError(`Option 'lateRowsPath' needs a watermarked aggregation, dropDuplicates or stream-stream join: without one no row is late.`);
  }
  const lateSink = latePath === undefined ? undefined : lateRowsSink.create({
    path: latePath, options: new Map(), partitionBy: [], outputMode: 'append', schema: lateRowsSchema(plan)!, conf,
  });
  const partitioning = req.sink.kind === 'format' && sinks.get(format)?.partitionBy === true;
  if (req.partitionBy.length && !partitioning) {
    const fileSinks = [...sinks.values()].filter((p) => p.partitionBy).map((p) => p.name);
    throw new OptionError(`partitionBy(${req.partitionBy.join(', ')}) applies to file sinks only (${fileSinks.join(', ')}), not ${format}.`);
  }
  return { sink, lateSink, temporaryCheckpoint, format };
}

/** The output column that holds event time, for the sink's log: a window, or the watermarked column. */
function eventTimeColumnOf(plan: PhysicalPlan): string | undefined {
  const names = plan.schema.fields.map((f) => f.name);
  for (const n of ['window', 'session_window']) if (names.includes(n)) return n;
  return plan.watermarks.map((w) => w.column).find((c) => names.includes(c));
}
