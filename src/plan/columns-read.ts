import type { AggExpr, Expr } from './expr.ts';

/**
 * What an expression reads of its input, by column name: a column 'all' (whole) or the set of its
 * struct fields read (`e.x`, getField). prune-from-json.ts narrows a from_json by it; a chunk
 * worker is sent only the columns read (operator-spec.ts).
 */
export type Fields = 'all' | Set<string>;

export function add(need: Map<string, Fields>, name: string, fields: Fields | string): void {
  const cur = need.get(name);
  if (cur === 'all') return;
  if (fields === 'all') { need.set(name, 'all'); return; }
  const set = cur ?? new Set<string>();
  if (typeof fields === 'string') set.add(fields); else for (const f of fields) set.add(f);
  need.set(name, set);
}

/** The top-level columns `exprs` read, or null when that cannot be told (a star, a quoted name). */
export function columnsRead(exprs: readonly Expr[]): Set<string> | null {
  const need = new Map<string, Fields>();
  return exprs.every((e) => refs(e, need)) ? new Set(need.keys()) : null;
}

/** Adds the columns `e` reads to `need`; false when it cannot tell (then the child is needed whole). */
export function refs(e: Expr, need: Map<string, Fields>): boolean {
  switch (e.op) {
    case 'col':
      if (e.name.includes('`')) return false;
      add(need, e.name, 'all');
      // 'e.x' resolves to field x of struct column e when there is no column named 'e.x'
      if (e.name.includes('.')) { const [parent, field] = e.name.split('.'); add(need, parent!, field!); }
      return true;
    case 'star': return false;
    case 'lit': case 'interval': return true;
    case 'alias': case 'cast': case 'window': case 'generator': case 'from_json': case 'sortOrder': return refs(e.child, need);
    case 'binary': return refs(e.left, need) && refs(e.right, need);
    case 'call':
      if (e.orColumn !== undefined) add(need, e.orColumn, 'all');
      return e.args.every((a) => refs(a, need));
    case 'isin': return refs(e.child, need) && e.values.every((v) => refs(v, need));
    case 'getField':
      if (e.child.op === 'col' && !e.child.name.includes('.') && !e.child.name.includes('`')) { add(need, e.child.name, e.name); return true; }
      return refs(e.child, need);
    case 'agg': return aggRefs(e.agg, need);
  }
}

export function aggRefs(a: AggExpr, need: Map<string, Fields>): boolean {
  return (a.child === null || refs(a.child, need)) && (a.args ?? []).every((x) => refs(x, need));
}
