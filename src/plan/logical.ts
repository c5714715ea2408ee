import type { Struct } from '../api/types.ts';
import type { SourceProvider } from '../sources/source.ts';
import type { Expr } from './expr.ts';

/** What the user asked for, before analysis: no types are known here except a source's schema. */
export type LogicalPlan =
  | { readonly kind: 'source'; readonly provider: SourceProvider; readonly options: ReadonlyMap<string, string>; readonly schema: Struct }
  | { readonly kind: 'project'; readonly child: LogicalPlan; readonly exprs: readonly Expr[] }
  | { readonly kind: 'filter'; readonly child: LogicalPlan; readonly condition: Expr }
  | { readonly kind: 'withColumn'; readonly child: LogicalPlan; readonly name: string; readonly expr: Expr }
  | { readonly kind: 'drop'; readonly child: LogicalPlan; readonly names: readonly string[] }
  | { readonly kind: 'rename'; readonly child: LogicalPlan; readonly from: string; readonly to: string };

export function sourcesOf(p: LogicalPlan): Extract<LogicalPlan, { kind: 'source' }>[] {
  return p.kind === 'source' ? [p] : sourcesOf(p.child);
}
