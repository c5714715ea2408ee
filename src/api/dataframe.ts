import { Column, toColumn, type ColumnLike } from './column.ts';
import type { Session } from './session.ts';
import type { DataType, Struct } from '../data/types.ts';
import type { LogicalPlan } from '../plan/logical.ts';
import { planQuery } from '../plan/planner.ts';
import { DataStreamWriter } from './data-stream-writer.ts';
import { AnalysisError } from '../errors.ts';
import type { AggExpr, Expr } from '../plan/expr.ts';
import { parseWatermarkDelay } from '../util/watermark-delay.ts';
import { parseJoinType } from '../plan/plan-join.ts';
import { isStreaming } from '../plan/logical.ts';
import { parseSqlExpr } from '../plan/sql/parser.ts';

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
  /** dropDuplicates(): all columns; dropDuplicates(['id']) or ('id', 'ts'): those. */
  dropDuplicates(...cols: (string | string[])[]): DataFrame {
    const names = cols.flat();
    return this.with({ kind: 'dedup', child: this.plan, columns: names.length ? names : null });
  }
  /** Spark's join(other, on, how) on same-named key columns: a stream with a static DataFrame; how 'inner' (default) or 'left'. */
  join(right: DataFrame, on: string | string[], how = 'inner'): DataFrame {
    return this.with({ kind: 'join', child: this.plan, right: right.plan, on: [on].flat(), how: parseJoinType(how) });
  }
  /** @internal */ withPlan(plan: LogicalPlan): DataFrame { return this.with(plan); }

  /** A DataFrame alias names the relation in joins; on its own it changes nothing. */
  alias(_name: string): DataFrame { return this; }

  /** The schema after analysis (errors here are the ones start() would give). */
  get schema(): Struct { return planQuery(this.plan).schema; }
  get columns(): string[] { return this.schema.fields.map((f) => f.name); }
  get isStreaming(): boolean { return isStreaming(this.plan); }

  get writeStream(): DataStreamWriter { return new DataStreamWriter(this); }

  printSchema(): void {
    const lines = ['root'];
    // Spark's treeString: an array's element is a child line named 'element' with containsNull.
    const field = (name: string, t: DataType, flag: string, indent: string): void => {
      lines.push(`${indent}|-- ${name}: ${t.kind} (${flag})`);
      if (t.kind === 'struct') for (const f of t.fields) field(f.name, f.type, `nullable = ${f.nullable}`, indent + '|    ');
      if (t.kind === 'array') field('element', t.elementType, `containsNull = ${t.containsNull}`, indent + '|    ');
    };
    for (const f of this.schema.fields) field(f.name, f.type, `nullable = ${f.nullable}`, ' ');
    console.log(lines.join('\n'));
  }
}

export { Column };

/** df.groupBy(...): Spark's RelationalGroupedDataset. */
export class GroupedData {
  constructor(private readonly df: DataFrame, private readonly keys: readonly Expr[]) {}

  agg(...cols: (Column | Column[])[]): DataFrame {
    const aggs: AggExpr[] = cols.flat().map((c) => {
      const e = c.expr.op === 'alias' ? c.expr.child : c.expr;
      const alias = c.expr.op === 'alias' ? c.expr.name : undefined;
      if (e.op !== 'agg') throw new AnalysisError(`agg() takes aggregate functions such as sum(), count(), avg(); got ${JSON.stringify(c.expr)}.`);
      return { ...e.agg, alias };
    });
    return this.df.withPlan({ kind: 'aggregate', child: this.df.plan, keys: this.keys, aggs });
  }
  /** groupBy(...).count(): a column named 'count', as in Spark. */
  count(): DataFrame {
    return this.df.withPlan({ kind: 'aggregate', child: this.df.plan, keys: this.keys, aggs: [{ fn: 'count', child: null, alias: 'count' }] });
  }
}
