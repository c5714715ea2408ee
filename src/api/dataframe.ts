import { Column, toColumn, type ColumnLike } from './column.ts';
import type { Session } from './session.ts';
import { type DataType, Struct, typeToString } from '../data/types.ts';
import type { LogicalPlan } from '../plan/logical.ts';
import { planQuery } from '../plan/planner.ts';
import { DataStreamWriter } from './data-stream-writer.ts';
import { AnalysisError } from '../errors.ts';
import { type AggExpr, type Expr, exprToString, mapChildren, outputName } from '../plan/expr.ts';
import { parseWatermarkDelay } from '../util/watermark-delay.ts';
import { parseJoinType } from '../plan/plan-join.ts';
import { isStreaming } from '../plan/logical.ts';
import { parseSqlExpr } from '../plan/sql/parser.ts';
import * as F from './functions.ts';
import { DataFrameNaFunctions } from './na-functions.ts';
import { DataFrameWriter } from './data-frame-writer.ts';
import type * as A from 'apache-arrow';
import { type Batch, batchNumRows, emptyBatch, toArrowTables } from '../data/batch.ts';
import { batchToRows } from '../data/rows.ts';
import { showTable } from '../data/show-table.ts';
import { materialize } from '../plan/plan-static.ts';
import { explainPlan } from '../plan/explain.ts';
import type { StatefulProcessor, Row, TimeMode } from '../exec/transform-with-state/stateful-processor.ts';
import { parseDdlSchema } from '../data/ddl.ts';

/** A streaming DataFrame: an immutable logical plan with Spark's methods. Analysis runs at start(). */
export class DataFrame {
  constructor(readonly session: Session, readonly plan: LogicalPlan) {}

  private with(plan: LogicalPlan): DataFrame { return new DataFrame(this.session, plan); }

  select(...cols: (ColumnLike | ColumnLike[])[]): DataFrame {
    return this.with({ kind: 'project', child: this.plan, exprs: cols.flat().map((c) => toColumn(c).expr) });
  }
  /** select() of Spark SQL expressions: selectExpr('CAST(value AS STRING)', 'amount * 2 AS doubled', '*'). */
  selectExpr(...exprs: (string | string[])[]): DataFrame {
    return this.with({ kind: 'project', child: this.plan, exprs: exprs.flat().map((s) => parseSqlExpr(s, { allowAlias: true })) });
  }
  /** A Column condition, or a Spark SQL one: filter("amount > 10 AND type = 'view'"). */
  filter(condition: Column | string): DataFrame {
    const e = typeof condition === 'string' ? parseSqlExpr(condition) : condition.expr;
    return this.with({ kind: 'filter', child: this.plan, condition: e });
  }
  where(condition: Column | string): DataFrame { return this.filter(condition); }
  withColumn(name: string, c: Column): DataFrame { return this.with({ kind: 'withColumn', child: this.plan, name, expr: c.expr }); }
  withColumnRenamed(existing: string, name: string): DataFrame {
    return this.with({ kind: 'rename', child: this.plan, from: existing, to: name });
  }
  drop(...names: string[]): DataFrame { return this.with({ kind: 'drop', child: this.plan, names }); }
  /** Spark's withWatermark: rows older than max event time − delay may be dropped by stateful operators. */
  withWatermark(eventTime: string, delayThreshold: string | number): DataFrame {
    const delayMs = parseWatermarkDelay(delayThreshold);
    return this.with({ kind: 'watermark', child: this.plan, column: eventTime, delayMs, delay: String(delayThreshold) });
  }
  groupBy(...cols: (ColumnLike | ColumnLike[])[]): GroupedData {
    return new GroupedData(this, cols.flat().map((c) => toColumn(c).expr));
  }
  groupby(...cols: (ColumnLike | ColumnLike[])[]): GroupedData { return this.groupBy(...cols); }
  /** An aggregation over all rows: df.agg(sum('x')) is df.groupBy().agg(sum('x')). */
  agg(...cols: Parameters<GroupedData['agg']>): DataFrame { return this.groupBy().agg(...cols); }
  /** dropDuplicates(): all columns; dropDuplicates(['id']) or ('id', 'ts'): those. */
  dropDuplicates(...cols: (string | string[])[]): DataFrame {
    const names = cols.flat();
    return this.with({ kind: 'dedup', child: this.plan, columns: names.length ? names : null, withinWatermark: false });
  }
  /**
   * Spark 3.5's dropDuplicatesWithinWatermark(): a key is a duplicate until its first row's event
   * time + the watermark's delay passes the watermark. Needs withWatermark() before it; the keys
   * need not include the event-time column.
   */
  dropDuplicatesWithinWatermark(...cols: (string | string[])[]): DataFrame {
    const names = cols.flat();
    return this.with({ kind: 'dedup', child: this.plan, columns: names.length ? names : null, withinWatermark: true });
  }
  /**
   * Spark's join(other, on, how): `on` names same-named key columns, or is a Column condition:
   * equalities between the sides plus event-time ranges, e.g. expr("adId = impressionAdId AND ...").
   * A stream with a static DataFrame: how 'inner' (default) or 'left'. Two streams (docs/joins.md):
   * 'inner', 'left'/'left_outer', 'right'/'right_outer', 'full'/'full_outer'/'outer', 'left_semi'/'semi'.
   */
  join(right: DataFrame, on: string | string[] | Column, how = 'inner'): DataFrame {
    const type = parseJoinType(how);
    if (on instanceof Column) return this.with({ kind: 'join', child: this.plan, right: right.plan, on: [], how: type, condition: on.expr });
    return this.with({ kind: 'join', child: this.plan, right: right.plan, on: [on].flat(), how: type });
  }
  /**
   * The rows of both streams (SQL's UNION ALL), columns matched by position; names come from this
   * side, types widen to a common one. Spark's `union`; `unionAll` is its old name.
   */
  union(other: DataFrame): DataFrame {
    return this.with({ kind: 'union', child: this.plan, right: other.plan, byName: false, allowMissingColumns: false });
  }
  unionAll(other: DataFrame): DataFrame { return this.union(other); }
  /** union() matching columns by name; with allowMissingColumns, a column one side lacks is null there. */
  unionByName(other: DataFrame, allowMissingColumns = false): DataFrame {
    return this.with({ kind: 'union', child: this.plan, right: other.plan, byName: true, allowMissingColumns });
  }
  /** withColumn for each entry, in order: withColumns({ total: col('a').plus(col('b')), day: to_date('ts') }). */
  withColumns(colsMap: Record<string, Column>): DataFrame {
    return Object.entries(colsMap).reduce<DataFrame>((df, [name, c]) => df.withColumn(name, c), this);
  }
  /** withColumnRenamed for each entry: withColumnsRenamed({ old: 'new' }). */
  withColumnsRenamed(colsMap: Record<string, string>): DataFrame {
    return Object.entries(colsMap).reduce<DataFrame>((df, [from, to]) => df.withColumnRenamed(from, to), this);
  }
  /** Spark's DataFrameNaFunctions: df.na.fill(0), df.na.drop('any', undefined, ['amount']). */
  get na(): DataFrameNaFunctions { return new DataFrameNaFunctions(this); }
  /** df.na.fill. */
  fillna(value: Parameters<DataFrameNaFunctions['fill']>[0], subset?: string | string[]): DataFrame { return this.na.fill(value, subset); }
  /** df.na.drop. */
  dropna(how: 'any' | 'all' = 'any', thresh?: number, subset?: string | string[]): DataFrame { return this.na.drop(how, thresh, subset); }
  /** @internal */ withPlan(plan: LogicalPlan): DataFrame { return this.with(plan); }

  /**
   * The rows in order of the columns: orderBy('a', desc('b')), orderBy(['a', 'b'], { ascending: false }),
   * or per column { ascending: [true, false] } as PySpark's `ascending=`. Static DataFrames only (see plan-sort.ts).
   */
  orderBy(...cols: (ColumnLike | ColumnLike[] | { ascending: boolean | boolean[] })[]): DataFrame {
    const last = cols.at(-1);
    const opts = last !== null && typeof last === 'object' && !Array.isArray(last) && !(last instanceof Column) ? last as { ascending: boolean | boolean[] } : null;
    const keys = (opts ? cols.slice(0, -1) : cols).flat() as ColumnLike[];
    if (!keys.length) throw new AnalysisError('orderBy() needs at least one column.');
    const asc = opts ? (Array.isArray(opts.ascending) ? opts.ascending : keys.map(() => opts.ascending as boolean)) : null;
    if (asc && asc.length !== keys.length) throw new AnalysisError(`orderBy() got ${keys.length} columns but ${asc.length} ascending flags; give one per column.`);
    const orders = keys.map((k, i) => {
      const c = toColumn(k);
      const o = c.expr.op === 'sortOrder' ? c : asc && !asc[i] ? c.desc() : c.asc();
      return o.expr as Extract<Expr, { op: 'sortOrder' }>;
    });
    return this.with({ kind: 'sort', child: this.plan, orders });
  }
  sort(...cols: Parameters<DataFrame['orderBy']>): DataFrame { return this.orderBy(...cols); }
  /** The first n rows (static DataFrames). */
  limit(n: number): DataFrame { return this.with({ kind: 'limit', child: this.plan, n }); }
  /** The same rows with new column names, in order: toDF('id', 'total'). */
  toDF(...names: string[]): DataFrame {
    const cols = this.columns;
    if (names.length !== cols.length) throw new AnalysisError(`toDF() got ${names.length} names for ${cols.length} columns (${cols.join(', ')}); give one name per column.`);
    return this.select(cols.map((c, i) => toColumn(c).alias(names[i]!)));
  }
  /** The distinct rows: dropDuplicates() over every column. */
  distinct(): DataFrame { return this.dropDuplicates(); }
  /**
   * Spark's partitioning and caching calls, accepted so scripts port as written. sluice runs a query
   * in one process over Arrow batches, so there is nothing to repartition or cache: each returns the
   * DataFrame unchanged (a Parquet sink writes its own files per batch either way).
   */
  coalesce(_numPartitions: number): DataFrame { return this; }
  repartition(..._args: unknown[]): DataFrame { return this; }
  cache(): DataFrame { return this; }
  persist(..._args: unknown[]): DataFrame { return this; }
  unpersist(..._args: unknown[]): DataFrame { return this; }

  /** A DataFrame alias names the relation in joins; on its own it changes nothing. */
  alias(_name: string): DataFrame { return this; }

  /** The schema after analysis (errors here are the ones start() would give). */
  get schema(): Struct { return planQuery(this.plan).schema; }
  get columns(): string[] { return this.schema.fields.map((f) => f.name); }
  get isStreaming(): boolean { return isStreaming(this.plan); }

  get writeStream(): DataStreamWriter { return new DataStreamWriter(this); }
  /** Prints the plan (Spark's df.explain()); extended adds the output schema and the physical plan. The plan is analysed, so its errors show here. */
  explain(extended = false): void { console.log(explainPlan(this.plan, extended)); }
  /** Writes a static DataFrame (foreachBatch's batch is one): `await df.write.mode('append').parquet(path)`. */
  get write(): DataFrameWriter { return new DataFrameWriter(this); }

  // Actions on a static DataFrame (createDataFrame, read.parquet, foreachBatch's batch). A streaming
  // one runs only through writeStream.start(), with Spark's message.
  /** @internal The rows, computed: the plan's operators run once over its batches. */
  collectBatches(): Batch[] {
    if (this.isStreaming) throw new AnalysisError('Queries with streaming sources must be executed with writeStream.start(); this DataFrame reads a stream.');
    return materialize(planQuery(this.plan));
  }
  /** The rows as objects keyed by column name. */
  collect(): Record<string, unknown>[] { return this.collectBatches().flatMap(batchToRows); }
  count(): number { return batchNumRows(this.collectBatches()); }
  isEmpty(): boolean { return this.count() === 0; }
  /** The first n rows (PySpark's take / head(n)). */
  take(n: number): Record<string, unknown>[] { return this.collect().slice(0, n); }
  head(n = 1): Record<string, unknown>[] { return this.take(n); }
  /** The first row, or null when there is none. */
  first(): Record<string, unknown> | null { return this.take(1)[0] ?? null; }
  /** The rows as an Arrow table, for arquero, DuckDB or anything that reads Arrow. */
  toArrow(): A.Table {
    const b = this.collectBatches();
    return toArrowTables(b.length ? b : [emptyBatch(this.schema)]);
  }
  /** Prints the first n rows as Spark's show() does (values over 20 characters cut unless truncate is false). */
  show(n = 20, truncate = true): void {
    console.log(showTable(this.schema, this.collectBatches(), n, truncate).join('\n'));
  }

  printSchema(): void {
    const lines = ['root'];
    // Spark's treeString: an array's element is a child line named 'element' with containsNull.
    const field = (name: string, t: DataType, flag: string, indent: string): void => {
      lines.push(`${indent}|-- ${name}: ${t.kind === 'decimal' ? typeToString(t) : t.kind} (${flag})`);
      if (t.kind === 'struct') for (const f of t.fields) field(f.name, f.type, `nullable = ${f.nullable}`, indent + '|    ');
      if (t.kind === 'array') field('element', t.elementType, `containsNull = ${t.containsNull}`, indent + '|    ');
      if (t.kind === 'map') {
        lines.push(`${indent}|    |-- key: ${t.keyType.kind}`);
        field('value', t.valueType, `valueContainsNull = ${t.valueContainsNull}`, indent + '|    ');
      }
    };
    for (const f of this.schema.fields) field(f.name, f.type, `nullable = ${f.nullable}`, ' ');
    console.log(lines.join('\n'));
  }
}

export { Column };

/** The aggregate functions a dict agg({'amount': 'sum'}) may name, by Spark's names. */
const AGG_BY_NAME: Record<string, (c: string) => Column> = {
  sum: F.sum, count: F.count, avg: F.avg, mean: F.avg, average: F.avg, min: F.min, max: F.max, first: F.first, last: F.last,
  approx_count_distinct: F.approx_count_distinct, collect_list: F.collect_list, collect_set: F.collect_set,
  // Spark's strToExpr names both stddev and std `stddev(x)`.
  stddev: F.stddev, std: F.stddev, stddev_samp: F.stddev_samp, stddev_pop: F.stddev_pop,
  variance: F.variance, var_samp: F.var_samp, var_pop: F.var_pop, skewness: F.skewness, kurtosis: F.kurtosis,
};

export interface TransformWithStateOptions {
  readonly outputSchema: string | Struct;
  readonly outputMode: 'append' | 'update';
  /** Default 'none' (no timers, no TTL). */
  readonly timeMode?: TimeMode;
}

/** df.groupBy(...): Spark's RelationalGroupedDataset. */
export class GroupedData {
  constructor(private readonly df: DataFrame, private readonly keys: readonly Expr[]) {}

  /**
   * agg(sum('a').alias('total'), count('*')), or PySpark's dict form agg({ amount: 'sum', '*': 'count' }):
   * column → aggregate function name; its output is named as Spark names it (`sum(amount)`).
   */
  agg(...cols: (Column | Column[] | Record<string, string>)[]): DataFrame {
    const columns = cols.flatMap((c): Column[] => (c instanceof Column ? [c] : Array.isArray(c) ? c : this.fromDict(c)));
    // An expression over aggregates (size(collect_set(x)), sum(a) / count(a)): its aggregates are
    // computed as hidden columns, then the expression over them, as Spark's Aggregate evaluates
    // its result expressions after the aggregate buffers.
    const aggs: AggExpr[] = [], outputs: Expr[] = [];
    let hidden = 0;
    const lift = (e: Expr): Expr => {
      if (e.op === 'agg') {
        const name = `__agg_${hidden++}`;
        aggs.push({ ...e.agg, alias: name });
        return { op: 'col', name };
      }
      return mapChildren(e, lift);
    };
    for (const c of columns) {
      const e = c.expr.op === 'alias' ? c.expr.child : c.expr;
      const alias = c.expr.op === 'alias' ? c.expr.name : undefined;
      if (e.op === 'agg') {
        const a = { ...e.agg, alias };
        aggs.push(a);
        outputs.push({ op: 'col', name: alias ?? exprToString({ op: 'agg', agg: a }) });
        continue;
      }
      const before = hidden, lifted = lift(e);
      if (hidden === before) throw new AnalysisError(`agg() takes aggregate functions such as sum(), count(), avg(), expressions over them (sum('a') / count('a')), or a dict like { amount: 'sum' }; '${exprToString(c.expr)}' has no aggregate function.`);
      outputs.push({ op: 'alias', child: lifted, name: alias ?? exprToString(e) });
    }
    const aggregated = this.df.withPlan({ kind: 'aggregate', child: this.df.plan, keys: this.keys, aggs });
    if (hidden === 0) return aggregated;
    const keyColumns: Expr[] = this.keys.map((k) => ({ op: 'col', name: outputName(k) }));
    return aggregated.withPlan({ kind: 'project', child: aggregated.plan, exprs: [...keyColumns, ...outputs] });
  }
  private fromDict(d: Record<string, string>): Column[] {
    return Object.entries(d).map(([column, fn]) => {
      const make = AGG_BY_NAME[String(fn).toLowerCase()];
      if (!make) {
        throw new AnalysisError(`agg({'${column}': '${fn}'}): '${fn}' is not an aggregate function sluice knows. `
          + `Use one of ${Object.keys(AGG_BY_NAME).join(', ')}.`);
      }
      return make(column);
    });
  }
  /** groupBy(...).sum('a', 'b'): sum(a), sum(b); likewise avg, mean, min, max. */
  sum(...cols: string[]): DataFrame { return this.agg(...cols.map((c) => F.sum(c))); }
  avg(...cols: string[]): DataFrame { return this.agg(...cols.map((c) => F.avg(c))); }
  mean(...cols: string[]): DataFrame { return this.avg(...cols); }
  min(...cols: string[]): DataFrame { return this.agg(...cols.map((c) => F.min(c))); }
  max(...cols: string[]): DataFrame { return this.agg(...cols.map((c) => F.max(c))); }
  /**
   * Spark 4's transformWithState: `processor` keeps its own state per grouping key, with timers
   * (docs/transform-with-state.md). outputSchema is DDL ('user STRING, events LONG') or a struct.
   */
  transformWithState<K extends Row, I extends Row, O extends Row>(processor: StatefulProcessor<K, I, O>, options: TransformWithStateOptions): DataFrame {
    const modes: readonly string[] = ['append', 'update'], times: readonly string[] = ['none', 'processingTime', 'eventTime'];
    if (!modes.includes(options.outputMode)) {
      throw new AnalysisError(`transformWithState: outputMode '${String(options.outputMode)}' is not supported; use 'append' or 'update' (Spark refuses complete for it).`);
    }
    const timeMode = options.timeMode ?? 'none';
    if (!times.includes(timeMode)) throw new AnalysisError(`transformWithState: timeMode '${String(timeMode)}' is not one of ${times.join(', ')}.`);
    const outputSchema = options.outputSchema instanceof Struct ? options.outputSchema : parseDdlSchema(options.outputSchema);
    const spec = { processor: processor as unknown as StatefulProcessor<never, never, never>, outputSchema, outputMode: options.outputMode, timeMode };
    return this.df.withPlan({ kind: 'transformWithState', child: this.df.plan, keys: this.keys, spec });
  }
  /** groupBy(...).count(): a column named 'count', as in Spark. */
  count(): DataFrame {
    return this.df.withPlan({ kind: 'aggregate', child: this.df.plan, keys: this.keys, aggs: [{ fn: 'count', child: null, alias: 'count' }] });
  }
}
