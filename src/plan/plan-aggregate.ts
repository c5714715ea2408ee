import { AnalysisError } from '../errors.ts';
import { double, typeToString } from '../data/types.ts';
import { makeAggregator, PERCENTILE_ACCURACY, type AggOptions } from '../exec/aggregate/aggregators.ts';
import { HashAggregate, type PlainKey, type WindowKey, type AggColumn } from '../exec/aggregate/hash-aggregate.ts';
import { SessionAggregate } from '../exec/aggregate/session-aggregate.ts';
import { bind } from './analyzer.ts';
import { type Expr, aggName, outputName } from './expr.ts';
import type { LogicalPlan } from './logical.ts';
import { type PhysicalPlan, type ProjectedWindow, withStateful } from './physical-plan.ts';

const MOMENTS = new Set(['stddev', 'std', 'stddev_samp', 'stddev_pop', 'variance', 'var_samp', 'var_pop', 'skewness', 'kurtosis']);

/**
 * The watermarked column the stateful operator sees: the last withWatermark whose column is still
 * there, else a column an earlier stateful operator handed the watermark on in (window_time(window)).
 */
export function watermarkColumnOf(child: PhysicalPlan): string | null {
  const names = new Set(child.schema.fields.map((f) => f.name));
  for (let k = child.watermarks.length - 1; k >= 0; k--) if (names.has(child.watermarks[k]!.column)) return child.watermarks[k]!.column;
  return child.eventTimeColumns?.find((c) => names.has(c)) ?? null;
}

/**
 * Whether a window's time expression carries the watermark: the watermarked column, a column an
 * earlier operator marked, or window_time() of (or, as Spark 3.4's TimeWindowing reads it, simply)
 * a window column that closes with the watermark, e.g. a windowed aggregation's `window`.
 */
function carriesWatermark(e: Expr, child: PhysicalPlan, watermarkColumn: string | null): boolean {
  if (e.op === 'col') return e.name === watermarkColumn || (child.eventTimeColumns ?? []).includes(e.name) || child.windowColumns?.get(e.name)?.watermarked === true;
  return e.op === 'call' && e.name.toLowerCase() === 'window_time' && e.args.length === 1 && e.args[0]!.op === 'col' && child.windowColumns?.get(e.args[0]!.name)?.watermarked === true;
}

function unalias(e: Expr): { e: Expr; alias?: string } {
  return e.op === 'alias' ? { e: e.child, alias: e.name } : { e };
}

/** A constant number, or an array(...) of them; null if `e` is neither. A decimal literal (0.5) counts, as Spark casts it to double here. */
function constants(e: Expr): { values: number[]; array: boolean } | null {
  const num = (x: Expr): number | null => {
    if (x.op !== 'lit') return null;
    if (typeof x.value === 'number') return x.value;
    if (typeof x.value === 'bigint' || (x.type?.kind === 'decimal' && typeof x.value === 'string')) return Number(x.value);
    return null;
  };
  if (e.op === 'call' && e.name === 'array') {
    const values = e.args.map(num);
    return values.every((v): v is number => v !== null) ? { values, array: true } : null;
  }
  const v = num(e);
  return v === null ? null : { values: [v], array: false };
}

/** percentile_approx's percentage(s) and accuracy: constants, checked as Spark's ApproximatePercentile checks them. */
function percentileOptions(name: string, args: readonly Expr[]): AggOptions {
  const [pe, ae] = args;
  const p = pe ? constants(pe) : null;
  if (!p || !p.values.length || p.values.some((v) => !(v >= 0 && v <= 1))) {
    throw new AnalysisError(`${name}: the percentage must be a number between 0.0 and 1.0, or an array of them, given as a literal (lit(0.5) or [0.25, 0.75]).`);
  }
  const a = ae ? constants(ae) : { values: [PERCENTILE_ACCURACY], array: false };
  const accuracy = a && !a.array ? a.values[0]! : NaN;
  if (!(Number.isInteger(accuracy) && accuracy > 0 && accuracy <= 2147483647)) {
    throw new AnalysisError(`${name}: the accuracy must be a positive integer literal up to 2147483647 (default ${PERCENTILE_ACCURACY}).`);
  }
  return { percentages: p.values, asArray: p.array, accuracy };
}

/** groupBy(keys).agg(aggs): keys bound to the input, one window at most, Spark's output names. */
export function planAggregate(child: PhysicalPlan, p: Extract<LogicalPlan, { kind: 'aggregate' }>): PhysicalPlan {
  if (p.aggs.length === 0) throw new AnalysisError(`agg() needs at least one aggregate, e.g. agg(count('*')).`);
  const keys: (PlainKey | WindowKey)[] = [];
  let session: { name: string; time: ReturnType<typeof bind>; gapMs: number } | null = null;
  let watermarkColumn = watermarkColumnOf(child);
  const windowsOut = new Map<string, ProjectedWindow>();
  for (const raw of p.keys) {
    const { e, alias } = unalias(raw);
    const projected = e.op === 'col' ? child.windowColumns?.get(e.name) : undefined;
    if (projected?.session) throw new AnalysisError(`groupBy on the session window column '${alias ?? outputName(e)}' is not supported: sessions have no fixed size. Group by window(window_time(col('${alias ?? outputName(e)}')), '<size>') instead.`);
    if (projected && e.op === 'col') {
      // groupBy on a window a select() made: its start is the window key (already aligned), and
      // a window of the watermarked column closes with the watermark (SPARK-27340).
      const time = { ...bind({ op: 'col', name: `${e.name}.start` }, child.schema), name: `${e.name}.start` };
      keys.push({ name: alias ?? e.name, time, kind: 'tumbling', sizeMs: projected.sizeMs, slideMs: projected.sizeMs });
      if (projected.watermarked) watermarkColumn = time.name;
      windowsOut.set(alias ?? e.name, projected);
      continue;
    }
    if (e.op === 'window') {
      // window() over a window column is a window of window_time(window) (Spark 3.4's TimeWindowing).
      const timeExpr: Expr = e.kind !== 'session' && bind(e.child, child.schema).type.kind === 'struct' ? { op: 'call', name: 'window_time', args: [e.child] } : e.child;
      const time = bind(timeExpr, child.schema);
      const watermarked = time.name === watermarkColumn || carriesWatermark(timeExpr, child, watermarkColumn);
      if (watermarked) watermarkColumn = time.name;
      if (time.type.kind !== 'timestamp') throw new AnalysisError(`${e.text}: the time column '${time.name}' is ${typeToString(time.type)}, not a timestamp. Cast it with .cast('timestamp').`);
      const name = alias ?? (e.kind === 'session' ? 'session_window' : 'window');
      if (e.kind === 'session') { session = { name, time, gapMs: e.sizeMs }; windowsOut.set(name, { sizeMs: e.sizeMs, watermarked, session: true }); continue; }
      keys.push({ name, time, kind: e.kind, sizeMs: e.sizeMs, slideMs: e.slideMs });
      windowsOut.set(name, { sizeMs: e.sizeMs, watermarked });
    } else {
      const bound = bind(e, child.schema);
      if (bound.type.kind === 'struct') throw new AnalysisError(`groupBy on the struct column '${bound.name}' is not supported; group by its fields.`);
      // Spark groups by arrays; the state store's keys are atomic cells, so sluice refuses it rather than guess an encoding.
      if (bound.type.kind === 'array') {
        throw new AnalysisError(`groupBy on the array column '${bound.name}' (${typeToString(bound.type)}) is not supported; `
          + `group by array_join(${bound.name}, ',') or explode() it first.`);
      }
      // Spark refuses maps as grouping keys too: two equal maps may hold their entries in other orders.
      if (bound.type.kind === 'map') {
        throw new AnalysisError(`groupBy on the map column '${bound.name}' (${typeToString(bound.type)}) is not supported, as in Spark (maps are not comparable); `
          + `group by one of its values, ${bound.name}['key'], or explode() it first.`);
      }
      keys.push({ name: alias ?? outputName(e), bound });
    }
  }
  const aggs: AggColumn[] = p.aggs.map((a) => {
    let input = a.child ? bind(a.child, child.schema) : null;
    // Spark's stddev/variance family takes doubles: a decimal is cast to one (ImplicitCastInputTypes).
    if (input?.type.kind === 'decimal' && MOMENTS.has(a.fn)) input = bind({ op: 'cast', child: a.child!, to: double }, child.schema);
    const name = a.alias ?? aggName(a);
    if (a.fn === 'percentile_approx' || a.fn === 'approx_percentile') {
      const opts = percentileOptions(name, a.args ?? []);
      return { aggregator: makeAggregator(a.fn, input?.type ?? null, name, opts), input, call: aggName(a) };
    }
    const extra = (a.args ?? []).map((x) => bind(x, child.schema));
    return { aggregator: makeAggregator(a.fn, input?.type ?? null, name, { extra: extra.map((x) => x.type) }), input, extra, call: aggName(a) };
  });
  const names = new Set<string>();
  for (const n of [...keys.map((k) => k.name), ...(session ? [session.name] : []), ...aggs.map((a) => a.aggregator.name)]) {
    if (names.has(n)) throw new AnalysisError(`The aggregation would output two columns named '${n}'; give one an alias().`);
    names.add(n);
  }
  let op;
  if (session) {
    if (keys.some((k) => 'time' in k)) throw new AnalysisError('groupBy() cannot combine session_window() with window().');
    op = new SessionAggregate({ inputSchema: child.schema, keys: keys as PlainKey[], session, aggs, watermarkColumn });
  } else {
    op = new HashAggregate({ inputSchema: child.schema, keys, aggs, watermarkColumn });
  }
  // The output's windows close with the watermark as this operator's did: a later groupBy on them (or
  // on window_time of them) is again a windowed aggregation (SPARK-40925).
  const next = withStateful(child, op, { aggregation: true, eventTime: true });
  return windowsOut.size ? { ...next, windowColumns: windowsOut } : next;
}
