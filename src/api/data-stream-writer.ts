import type { DataFrame } from './dataframe.ts';
import { OptionError } from '../errors.ts';
import type { OutputMode } from '../sinks/sink.ts';
import type { BatchFrame } from '../sinks/foreach-batch/foreach-batch-sink.ts';
import type { StreamingQuery } from '../runtime/streaming-query.ts';
import { parseTrigger, type Trigger, type TriggerSpec } from '../runtime/trigger.ts';
import { startQuery } from '../runtime/start-query.ts';
import { CaseInsensitiveMap } from '../util/case-insensitive-map.ts';

/**
 * foreachBatch's function: each micro-batch's rows as a static DataFrame (select, filter, collect,
 * show, write.parquet … as in PySpark's batch_df), and the batch id. It should be idempotent per
 * batch id, as in Spark: a batch re-runs after a crash.
 */
export type ForeachBatchFunction = (df: DataFrame, batchId: number) => void | Promise<void>;

/** df.writeStream: Spark's DataStreamWriter. */
export class DataStreamWriter {
  /** null: the sink registry's default format. */
  private fmt: string | null = null;
  private readonly opts = new CaseInsensitiveMap();
  private mode: OutputMode = 'append';
  private partitionCols: string[] = [];
  private name: string | null = null;
  /** null: not set; the query takes the session's (conf sluice.trigger.cron, else Spark's default). */
  private trig: Trigger | null = null;
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
  foreachBatch(fn: ForeachBatchFunction): this { this.batchFn = fn; this.fmt = null; return this; }

  /** The sink hands over the batch's Arrow batches; the user's function gets them as a DataFrame. */
  private batchFrameFn(fn: ForeachBatchFunction): (b: BatchFrame, batchId: number) => void | Promise<void> {
    return (b, batchId) => fn(this.df.withPlan({ kind: 'static', schema: b.schema, batches: b.batches, description: `foreachBatch batch ${batchId}` }), batchId);
  }

  /**
   * Analyse the plan, open the checkpoint and start the trigger loop. Errors in the query or options reject here.
   * The writer only collects; starting is the runtime's (runtime/start-query.ts).
   */
  async start(outputPath?: string): Promise<StreamingQuery> {
    if (outputPath !== undefined) this.opts.set('path', outputPath);
    return startQuery({
      plan: this.df.plan,
      sink: this.batchFn ? { kind: 'foreachBatch', fn: this.batchFrameFn(this.batchFn) } : { kind: 'format', format: this.fmt },
      options: this.opts, outputMode: this.mode, partitionBy: this.partitionCols, queryName: this.name, trigger: this.trig,
    }, this.df.session);
  }
}
