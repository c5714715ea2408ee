import { type Struct, struct, typeToString } from '../api/types.ts';
import { AnalysisError } from '../errors.ts';
import type { Batch } from '../exec/batch.ts';
import { project } from '../exec/project.ts';
import { filter } from '../exec/filter.ts';
import type { SourceProvider } from '../sources/source.ts';
import { bind, bindSelect, type EvalContext } from './analyzer.ts';
import type { Expr } from './expr.ts';
import type { LogicalPlan } from './logical.ts';

export type ChunkOperator = (b: Batch, ctx: EvalContext) => Batch;

/** The analysed, compiled query: which sources to read, and the operators each chunk goes through. */
export interface PhysicalPlan {
  readonly sources: readonly { readonly provider: SourceProvider; readonly options: ReadonlyMap<string, string> }[];
  readonly schema: Struct;
  readonly operators: readonly ChunkOperator[];
}

const colRef = (name: string): Expr => ({ op: 'col', name });

/** Analyse (resolve names, check types: errors here stop start()) and compile, bottom up. */
export function planQuery(p: LogicalPlan): PhysicalPlan {
  switch (p.kind) {
    case 'source':
      return { sources: [{ provider: p.provider, options: p.options }], schema: p.schema, operators: [] };
    case 'project':
      return withChild(planQuery(p.child), p.exprs);
    case 'filter': {
      const child = planQuery(p.child);
      const pred = bind(p.condition, child.schema);
      if (pred.type.kind !== 'boolean') {
        throw new AnalysisError(`filter() needs a boolean condition, but '${pred.name}' is ${typeToString(pred.type)}.`);
      }
      return { ...child, operators: [...child.operators, filter(pred)] };
    }
    case 'withColumn': {
      const child = planQuery(p.child);
      const names = child.schema.fields.map((f) => f.name);
      const exprs: Expr[] = names.map((n) => (n === p.name ? { op: 'alias', child: p.expr, name: n } : colRef(n)));
      if (!names.includes(p.name)) exprs.push({ op: 'alias', child: p.expr, name: p.name });
      return withChild(child, exprs);
    }
    case 'rename': {
      const child = planQuery(p.child);
      return withChild(child, child.schema.fields.map((f) => (f.name === p.from ? { op: 'alias', child: colRef(f.name), name: p.to } : colRef(f.name))));
    }
    case 'drop': {
      const child = planQuery(p.child);
      const keep = child.schema.fields.map((f) => f.name).filter((n) => !p.names.includes(n));
      return withChild(child, keep.map(colRef));
    }
  }
}

function withChild(child: PhysicalPlan, exprs: readonly Expr[]): PhysicalPlan {
  const bound = bindSelect(exprs, child.schema);
  const schema = struct(bound.map((b) => ({ name: b.name, type: b.type, nullable: true })));
  return { ...child, schema, operators: [...child.operators, project(schema, bound)] };
}
