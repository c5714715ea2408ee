import { Column, toColumn, type ColumnLike } from './column.ts';
import type { Session } from './session.ts';
import type { Struct } from './types.ts';
import type { LogicalPlan } from '../plan/logical.ts';
import { planQuery } from '../plan/physical.ts';
import { DataStreamWriter } from './writer.ts';

/** A streaming DataFrame: an immutable logical plan with Spark's methods. Analysis runs at start(). */
export class DataFrame {
  constructor(readonly session: Session, readonly plan: LogicalPlan) {}

  private with(plan: LogicalPlan): DataFrame { return new DataFrame(this.session, plan); }

  select(...cols: (ColumnLike | ColumnLike[])[]): DataFrame {
    return this.with({ kind: 'project', child: this.plan, exprs: cols.flat().map((c) => toColumn(c).expr) });
  }
  filter(condition: Column | string): DataFrame {
    if (typeof condition === 'string') throw new TypeError(`filter('${condition}'): SQL strings are not supported yet; build the condition with col(), e.g. col('type').equalTo('view').`);
    return this.with({ kind: 'filter', child: this.plan, condition: condition.expr });
  }
  where(condition: Column | string): DataFrame { return this.filter(condition); }
  withColumn(name: string, c: Column): DataFrame { return this.with({ kind: 'withColumn', child: this.plan, name, expr: c.expr }); }
  withColumnRenamed(existing: string, name: string): DataFrame {
    return this.with({ kind: 'rename', child: this.plan, from: existing, to: name });
  }
  drop(...names: string[]): DataFrame { return this.with({ kind: 'drop', child: this.plan, names }); }
  /** A DataFrame alias names the relation in joins; on its own it changes nothing. */
  alias(_name: string): DataFrame { return this; }

  /** The schema after analysis (errors here are the ones start() would give). */
  get schema(): Struct { return planQuery(this.plan).schema; }
  get columns(): string[] { return this.schema.fields.map((f) => f.name); }
  get isStreaming(): boolean { return true; }

  get writeStream(): DataStreamWriter { return new DataStreamWriter(this); }

  printSchema(): void {
    const lines = ['root'];
    const walk = (s: Struct, indent: string): void => {
      for (const f of s.fields) {
        lines.push(`${indent}|-- ${f.name}: ${f.type.kind} (nullable = ${f.nullable})`);
        if (f.type.kind === 'struct') walk(f.type as Struct, indent + '|    ');
      }
    };
    walk(this.schema, ' ');
    console.log(lines.join('\n'));
  }
}

export { Column };
