import { typeToString } from '../data/types.ts';
import { aggName, exprToString } from './expr.ts';
import { childrenOf, type LogicalPlan } from './logical.ts';
import { planQuery } from './planner.ts';

/** One line for a plan node, in the shape of Spark's plan strings. */
function nodeLine(p: LogicalPlan): string {
  const list = (xs: readonly string[]): string => `[${xs.join(', ')}]`;
  switch (p.kind) {
    case 'source': {
      const opts = [...p.options].filter(([k]) => !/password|secret|jaas|token|sasl|key\b/i.test(k)).map(([k, v]) => `${k}=${v}`);
      return `StreamingRelation ${p.provider.name}${opts.length ? ` ${list(opts)}` : ''}`;
    }
    case 'static': return `LocalRelation ${p.description}`;
    case 'project': return `Project ${list(p.exprs.map(exprToString))}`;
    case 'filter': return `Filter ${exprToString(p.condition)}`;
    case 'withColumn': return `Project [*, ${exprToString(p.expr)} AS ${p.name}]`;
    case 'drop': return `Project [* EXCEPT ${p.names.join(', ')}]`;
    case 'rename': return `Project [*, ${p.from} AS ${p.to}]`;
    case 'watermark': return `EventTimeWatermark ${p.column}, ${p.delay}`;
    case 'aggregate': return `Aggregate ${list(p.keys.map(exprToString))}, ${list([...p.keys.map(exprToString), ...p.aggs.map((a) => (a.alias ? `${aggName(a)} AS ${a.alias}` : aggName(a)))])}`;
    case 'dedup': return `${p.withinWatermark ? 'DeduplicateWithinWatermark' : 'Deduplicate'} ${p.columns ? list(p.columns) : '[all columns]'}`;
    case 'transformWithState': return `TransformWithState ${list(p.keys.map(exprToString))}, ${p.spec.processor.constructor.name}, timeMode ${p.spec.timeMode}, outputMode ${p.spec.outputMode}`;
    case 'join': return p.condition ? `Join ${p.how}, ${exprToString(p.condition)}` : `Join ${p.how}, using ${list(p.on)}`;
    case 'sort': return `Sort ${list(p.orders.map(exprToString))}, true`;
    case 'limit': return `GlobalLimit ${p.n}`;
    case 'union': return p.byName ? `Union byName${p.allowMissingColumns ? ', allowMissingColumns' : ''}` : 'Union';
  }
}

/** Spark's tree: `+- ` before a child, `:- ` before all but the last of several. */
function tree(p: LogicalPlan, prefix = '', last = true, top = true): string[] {
  const head = top ? nodeLine(p) : `${prefix}${last ? '+- ' : ':- '}${nodeLine(p)}`;
  const kids = childrenOf(p);
  const next = top ? '' : prefix + (last ? '   ' : ':  ');
  return [head, ...kids.flatMap((k, i) => tree(k, next, i === kids.length - 1, false))];
}

/**
 * df.explain(): the logical plan as a tree (Spark's "== Analyzed Logical Plan ==" shape), and with
 * extended, the analysed output schema and how the physical plan runs it (sources, the operators
 * per chunk, the stateful operator, watermarks). Secrets in source options are left out.
 */
export function explainPlan(p: LogicalPlan, extended: boolean): string {
  const phys = planQuery(p); // analysed first, so a wrong plan fails here as at start()
  const lines = ['== Logical Plan ==', ...tree(p)];
  if (extended) {
    lines.push('', '== Output ==', ...phys.schema.fields.map((f) => `${f.name}: ${typeToString(f.type)}`));
    lines.push('', '== Physical Plan ==',
      `sources: ${phys.sources.map((s) => s.provider.name).join(', ') || 'none (static)'}`,
      `stateless operators per chunk: ${phys.operators.length + (phys.perSource?.reduce((n, ops) => n + ops.length, 0) ?? 0)}`,
      `stateful operators: ${phys.stages.map((st) => st.operator.name).join(' -> ') || 'none'}`,
      `watermarks: ${phys.watermarks.map((w) => `${w.column} - ${w.delay}`).join(', ') || 'none'}`);
  }
  return lines.join('\n');
}
