import * as A from 'apache-arrow';
import {
  type ArrayType, type DataType, type Struct, array, toArrowType, boolean, int, long, double, string, timestamp, date, nullType,
  isNumeric, typeToString, sameType,
} from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import { isValid } from '../data/batch.ts';
import { nullColumn } from '../data/builders.ts';
import { cellWriter, type Cell } from '../data/cells.ts';
import { compare, compareBytesConst, type CmpOp } from '../exec/kernels/compare.ts';
import { andOr } from '../exec/kernels/logic.ts';
import { arith, type ArithOp } from '../exec/kernels/arith.ts';
import { asDecimalOperand, decimalArith, decimalResultType } from '../exec/kernels/decimal-arith.ts';
import { cast, canCast, castCell } from '../exec/kernels/cast.ts';
import { lookupFunction, functionNames } from '../exec/functions/registry.ts';
import { commonType } from '../exec/functions/type-rules.ts';
import { compileFromJson } from '../exec/functions/from-json.ts';
import { bindMapValue } from '../exec/functions/map-value.ts';
import { DAY_MS, addMonths } from '../exec/functions/datetime-pattern.ts';
import { mapRows } from '../exec/functions/map-rows.ts';
import { type Expr, exprToString, outputName } from './expr.ts';
import type { Bound } from '../exec/compiled-expr.ts';
import { tumblingWindows, windowType } from '../exec/aggregate/window.ts';

/** 'a', 'b.c' and so on, every column the user could name: for error messages. */
export function columnNames(schema: Struct, prefix = ''): string[] {
  const out: string[] = [];
  for (const f of schema.fields) {
    out.push(prefix + f.name);
    if (f.type.kind === 'struct') out.push(...columnNames(f.type as Struct, prefix + f.name + '.'));
  }
  return out;
}

export function unknownColumn(name: string, schema: Struct, where?: string): AnalysisError {
  return new AnalysisError(
    `Cannot resolve column '${name}'${where ? ` in ${where}` : ''}. Available columns: ${columnNames(schema).join(', ') || '(none)'}.`);
}

function literalType(v: unknown): DataType {
  if (v === null || v === undefined) return nullType;
  if (typeof v === 'boolean') return boolean;
  if (typeof v === 'bigint') return long;
  if (typeof v === 'number') return Number.isInteger(v) ? (v >= -2147483648 && v <= 2147483647 ? int : long) : double;
  if (typeof v === 'string') return string;
  if (v instanceof Date) return timestamp;
  throw new AnalysisError(`lit(${String(v)}): unsupported literal of type ${typeof v}; use a number, bigint, string, boolean, Date or null.`);
}

function literalCell(v: unknown, t: DataType): Cell {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (t.kind === 'long' && typeof v === 'number') return BigInt(v);
  // A decimal literal is written as its text (1.23BD); its cell is the unscaled value.
  if (t.kind === 'decimal') return castCell(typeof v === 'string' ? v : String(v), string, t);
  return v as Cell;
}

function constantColumn(type: DataType, value: Cell, n: number): A.Data {
  if (value === null) return nullColumn(type, n);
  const w = cellWriter(type, n);
  for (let i = 0; i < n; i++) w.push(value);
  return w.finish();
}

function castTo(b: Bound, to: DataType): Bound {
  if (sameType(b.type, to)) return b;
  if (b.constant) {
    const value = castCell(b.constant.value, b.type, to);
    return { type: to, name: b.name, constant: { value }, eval: (batch) => constantColumn(to, value, batch.numRows) };
  }
  return { type: to, name: b.name, eval: (batch, ctx) => cast(b.eval(batch, ctx), b.type, to, batch.numRows) };
}

function resolveColumn(name: string, schema: Struct): Bound {
  const idx = schema.fields.findIndex((f) => f.name === name);
  if (idx >= 0) {
    const f = schema.fields[idx]!;
    return { type: f.type, name: f.name, columnIndex: idx, eval: (b) => b.columns[idx]! };
  }
  const dot = name.indexOf('.');
  if (dot > 0) {
    // 'data.user_id': a field of a struct column, like Spark's resolution of qualified names.
    const parent = name.slice(0, dot);
    if (schema.fields.some((f) => f.name === parent)) return getField(resolveColumn(parent, schema), name.slice(dot + 1).split('.'), schema, name);
  }
  throw unknownColumn(name, schema);
}

function getField(parent: Bound, path: string[], schema: Struct, full: string): Bound {
  let cur = parent;
  for (const fname of path) {
    if (cur.type.kind === 'array' && cur.type.elementType.kind === 'struct') { cur = fieldOfElements(cur, fname, full); continue; }
    if (cur.type.kind === 'map') { cur = mapValueOf(cur, fname); continue; }
    if (cur.type.kind !== 'struct') throw new AnalysisError(`Cannot get field '${fname}' of '${full}': '${cur.name}' is ${typeToString(cur.type)}, not a struct. Available columns: ${columnNames(schema).join(', ')}.`);
    const fields = (cur.type as Struct).fields;
    const k = fields.findIndex((f) => f.name === fname);
    if (k < 0) throw new AnalysisError(`No field '${fname}' in struct '${cur.name}' (${full}). Its fields: ${fields.map((f) => f.name).join(', ')}.`);
    const p = cur;
    cur = {
      type: fields[k]!.type, name: fname,
      eval: (b, ctx) => {
        const s = p.eval(b, ctx);
        const child = s.children[k]!;
        // A null struct makes its fields null too.
        if (s.nullCount === 0) return child;
        return withExtraNulls(child, s, b.numRows);
      },
    };
  }
  return cur;
}

/**
 * `m['k']`, `m.k` and getItem('k') on a map: Spark's GetMapValue, the value of that key or null.
 * Named as Spark names it, `m[k]`.
 */
function mapValueOf(m: Bound, key: string): Bound {
  const k: Bound = { type: string, name: key, constant: { value: key }, eval: (b) => constantColumn(string, key, b.numRows) };
  const r = bindMapValue('get', [m, k]);
  if (typeof r === 'string') throw new AnalysisError(`Cannot look up '${m.name}[${key}]': ${r}.`);
  const kc = castTo(k, r.inputTypes[1]!), kernel = r.kernel;
  return { type: r.returnType, name: `${m.name}[${key}]`, mapLookup: true, eval: (b, ctx) => kernel([m.eval(b, ctx), kc.eval(b, ctx)], b.numRows, ctx) };
}

/**
 * `headers.key` on an array of structs: Spark's GetArrayStructFields, the field of every element as
 * an array of the same shape (offsets and row nulls kept; a null element gives a null field).
 */
function fieldOfElements(arr: Bound, fname: string, full: string): Bound {
  const el = (arr.type as ArrayType).elementType as Struct, k = el.fields.findIndex((f) => f.name === fname);
  if (k < 0) throw new AnalysisError(`No field '${fname}' in the elements of '${arr.name}' (${full}). Their fields: ${el.fields.map((f) => f.name).join(', ')}.`);
  const type = array(el.fields[k]!.type);
  return {
    type, name: fname,
    eval: (b, ctx) => {
      const d = arr.eval(b, ctx), structs = d.children[0]!, field = structs.children[k]!;
      const child = structs.nullCount === 0 ? field : withExtraNulls(field, structs, structs.length);
      return A.makeData({ type: toArrowType(type) as A.List, length: d.length, nullCount: d.nullCount, nullBitmap: d.nullBitmap, valueOffsets: d.valueOffsets, child });
    },
  };
}

/** `child` with every row that is null in `parent` also null. */
function withExtraNulls(child: A.Data, parent: A.Data, n: number): A.Data {
  const bm = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) if (isValid(parent, i) && isValid(child, i)) bm[i >> 3]! |= 1 << (i & 7); else nulls++;
  if (A.DataType.isStruct(child.type)) return A.makeData({ type: child.type, length: n, nullCount: nulls, nullBitmap: bm, children: child.children });
  if (A.DataType.isList(child.type)) return A.makeData({ type: child.type, length: n, nullCount: nulls, nullBitmap: bm, valueOffsets: child.valueOffsets, child: child.children[0]! });
  return A.makeData({ type: child.type, length: n, nullCount: nulls, nullBitmap: bm, data: child.values, valueOffsets: child.valueOffsets } as never) as A.Data;
}

const cmpOps = new Set(['eq', 'neq', 'gt', 'geq', 'lt', 'leq']);
const enc = new TextEncoder();

export function bind(e: Expr, schema: Struct): Bound {
  switch (e.op) {
    case 'col': return resolveColumn(e.name, schema);
    case 'star': throw new AnalysisError(`'${exprToString(e)}' can only be used in select().`);
    case 'sortOrder': throw new AnalysisError(`'${exprToString(e)}' is an ordering: use it in orderBy() or sort(), not as a value.`);
    case 'lit': {
      const type = e.type ?? literalType(e.value), value = literalCell(e.value, type);
      return { type, name: exprToString(e), constant: { value }, eval: (b) => constantColumn(type, value, b.numRows) };
    }
    case 'alias': { const c = bind(e.child, schema); return { ...c, name: e.name }; }
    case 'cast': {
      const c = bind(e.child, schema);
      if (!canCast(c.type, e.to)) throw new AnalysisError(`Cannot cast '${c.name}' from ${typeToString(c.type)} to ${typeToString(e.to)}.`);
      return { ...castTo(c, e.to), name: exprToString(e) };
    }
    case 'getField': return getField(bind(e.child, schema), [e.name], schema, exprToString(e));
    case 'call': return bindCall(e, schema);
    case 'isin': {
      if (e.values.length === 0) throw new AnalysisError(`isin() on '${exprToString(e.child)}' needs at least one value.`);
      const ors = e.values.map((v) => ({ op: 'binary', fn: 'eq', left: e.child, right: v }) as Expr);
      const tree = ors.reduce((a, b) => ({ op: 'binary', fn: 'or', left: a, right: b }) as Expr);
      return { ...bind(tree, schema), name: exprToString(e) };
    }
    case 'binary': {
      if ((e.fn === 'plus' || e.fn === 'minus') && (e.left.op === 'interval' || e.right.op === 'interval')) return bindIntervalArithmetic(e, schema);
      const l = bind(e.left, schema), r = bind(e.right, schema), name = exprToString(e);
      if (e.fn === 'and' || e.fn === 'or') {
        expectBoolean(l, e); expectBoolean(r, e);
        const fn = e.fn;
        return { type: boolean, name, eval: (b, ctx) => andOr(fn, l.eval(b, ctx), r.eval(b, ctx), b.numRows) };
      }
      if (cmpOps.has(e.fn)) {
        const t = commonType(l.type, r.type);
        if (!t) throw new AnalysisError(`Cannot compare '${l.name}' (${typeToString(l.type)}) with '${r.name}' (${typeToString(r.type)}) in ${name}.`);
        const lc = castTo(l, t), rc = castTo(r, t), op = e.fn as CmpOp;
        if (t.kind === 'string' && rc.constant && rc.constant.value !== null) {
          const bytes = enc.encode(rc.constant.value as string);
          return { type: boolean, name, eval: (b, ctx) => compareBytesConst(op, lc.eval(b, ctx), bytes, b.numRows) };
        }
        return { type: boolean, name, eval: (b, ctx) => compare(op, t, lc.eval(b, ctx), rc.eval(b, ctx), b.numRows) };
      }
      const numeric = (x: Bound): boolean => isNumeric(x.type) || x.type.kind === 'null' || x.type.kind === 'decimal';
      if (!numeric(l) || !numeric(r)) throw new AnalysisError(`Arithmetic ${name} needs numbers: '${l.name}' is ${typeToString(l.type)}, '${r.name}' is ${typeToString(r.type)}. Cast the column first.`);
      const dec = bindDecimalArithmetic(e.fn as ArithOp, l, r, name);
      if (dec) return dec;
      let t = commonType(l.type, r.type)!;
      if (t.kind === 'null') t = int;
      if (e.fn === 'divide') t = double; // Spark: '/' is always a double division
      const lc = castTo(l, t), rc = castTo(r, t), op = e.fn as ArithOp;
      return { type: t, name, eval: (b, ctx) => arith(op, t, lc.eval(b, ctx), rc.eval(b, ctx), b.numRows) };
    }
    case 'from_json': return bindFromJson(e, schema);
    case 'window': return bindWindow(e, schema);
    case 'agg': throw new AnalysisError(`${exprToString(e)} is an aggregate: use it inside groupBy(...).agg(...).`);
    case 'interval': throw new AnalysisError(`${e.text} can only be added to or subtracted from a timestamp or a date here, like ts + ${e.text}.`);
    case 'generator':
      throw new AnalysisError(`The generator ${exprToString(e)} is not supported here: a generator must be a whole column of select() or withColumn() `
        + `(optionally with an alias), not nested in an expression or used in filter/groupBy. Explode in a select first, then use the column.`);
  }
}

/**
 * `l op r` when a decimal meets a decimal or an integer (a double makes it a double division, as
 * Spark's): both sides as decimals (an integer literal with just its digits), Spark's result type.
 */
function bindDecimalArithmetic(op: ArithOp, l: Bound, r: Bound, name: string): Bound | null {
  const kinds = [l.type.kind, r.type.kind];
  if (!kinds.includes('decimal') || kinds.includes('double')) return null;
  const literal = (x: Bound): bigint | number | null | undefined => {
    const v = x.constant?.value;
    return typeof v === 'number' || typeof v === 'bigint' ? v : undefined;
  };
  const other = (x: Bound, y: Bound): DataType => (x.type.kind === 'null' ? y.type : x.type);
  const lt = asDecimalOperand(other(l, r), literal(l)), rt = asDecimalOperand(other(r, l), literal(r));
  if (!lt || !rt) return null;
  const type = decimalResultType(op, lt, rt), lc = castTo(l, lt), rc = castTo(r, rt);
  return { type, name, eval: (b, ctx) => decimalArith(op, lt, rt, type, lc.eval(b, ctx), rc.eval(b, ctx), b.numRows) };
}

/**
 * A registered function: its arity, then its type rule over the bound arguments, then the
 * implicit casts it asked for; the kernel runs once per batch over whole columns.
 */
/**
 * ts ± INTERVAL …, INTERVAL … + ts, date ± INTERVAL …: Spark's TimeAdd / DateAddInterval. Months
 * move by the calendar (the day clamped to the month's end, as add_months), then days, then time;
 * a date with a whole-day interval stays a date, otherwise it becomes a timestamp.
 */
function bindIntervalArithmetic(e: Extract<Expr, { op: 'binary' }>, schema: Struct): Bound {
  const name = exprToString(e);
  if (e.left.op === 'interval' && e.right.op === 'interval') throw new AnalysisError(`${name}: adding two INTERVAL literals is not supported; write one interval.`);
  if (e.left.op === 'interval' && e.fn === 'minus') throw new AnalysisError(`${name}: an INTERVAL cannot be the left side of '-'; write ts - ${e.left.text}.`);
  const iv = (e.left.op === 'interval' ? e.left : e.right) as Extract<Expr, { op: 'interval' }>;
  let base = bind(e.left.op === 'interval' ? e.right : e.left, schema);
  if (base.type.kind === 'string') base = castTo(base, timestamp);
  const sign = e.fn === 'minus' ? -1 : 1;
  const months = sign * iv.months, days = sign * iv.days, ms = sign * iv.ms;
  const shiftDays = (d: number): number => (months === 0 ? d : addMonths(d, months)) + days;
  if (base.type.kind === 'date' && ms === 0) {
    const b = base;
    return { type: date, name, eval: (batch, ctx) => mapRows([b.eval(batch, ctx)], [date], date, batch.numRows, ([d]) => shiftDays(d as number)) };
  }
  if (base.type.kind !== 'date' && base.type.kind !== 'timestamp') {
    throw new AnalysisError(`${name}: an INTERVAL can be added to a timestamp or a date, but '${base.name}' is ${typeToString(base.type)}.`);
  }
  const b = castTo(base, timestamp);
  return {
    type: timestamp, name,
    eval: (batch, ctx) => mapRows([b.eval(batch, ctx)], [timestamp], timestamp, batch.numRows, ([t]) => {
      const v = t as number, d = Math.floor(v / DAY_MS);
      return shiftDays(d) * DAY_MS + (v - d * DAY_MS) + ms;
    }),
  };
}

/**
 * `*` among a call's arguments is every column, as Spark expands it in any call: struct('*'),
 * concat(*). Expanded before naming, so the column is named `to_json(struct(a, b))` as in Spark.
 */
function expandStars(e: Expr, schema: Struct): Expr {
  switch (e.op) {
    case 'call': return {
      ...e,
      args: e.args.flatMap((a): Expr[] => (a.op === 'star' && !a.qualifier ? schema.fields.map((f) => ({ op: 'col', name: f.name }) as Expr) : [expandStars(a, schema)])),
    };
    case 'alias': return { ...e, child: expandStars(e.child, schema) };
    case 'cast': return { ...e, child: expandStars(e.child, schema) };
    default: return e;
  }
}

function bindCall(call: Extract<Expr, { op: 'call' }>, schema: Struct): Bound {
  if (call.orColumn !== undefined && schema.fields.some((f) => f.name === call.orColumn)) return resolveColumn(call.orColumn, schema);
  const e = expandStars(call, schema) as Extract<Expr, { op: 'call' }>;
  const fn = lookupFunction(e.name);
  if (!fn) throw new AnalysisError(`Undefined function '${e.name}'. Known functions: ${functionNames().join(', ')}.`);
  const text = exprToString(e);
  const [min, max] = typeof fn.arity === 'number' ? [fn.arity, fn.arity] : fn.arity;
  if (e.args.length < min || e.args.length > max) {
    const wanted = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new AnalysisError(`${e.name.toLowerCase()}() takes ${wanted} argument${wanted === '1' ? '' : 's'}, but ${text} has ${e.args.length}.`);
  }
  const args = e.args.map((a) => bind(a, schema));
  const r = fn.bind(args);
  if (typeof r === 'string') throw new AnalysisError(`Cannot resolve '${text}' due to data type mismatch: ${r}.`);
  if (r.inputTypes.length !== args.length) throw new Error(`${fn.name}: its type rule gave ${r.inputTypes.length} input types for ${args.length} arguments.`);
  const inputs = args.map((a, k) => castTo(a, r.inputTypes[k]!));
  const { kernel, returnType: type } = r;
  if (inputs.length === 1) {
    const a = inputs[0]!;
    return { type, name: text, eval: (b, ctx) => kernel([a.eval(b, ctx)], b.numRows, ctx) };
  }
  return { type, name: text, eval: (b, ctx) => kernel(inputs.map((a) => a.eval(b, ctx)), b.numRows, ctx) };
}

/**
 * A tumbling window() outside groupBy: the struct {start, end} of each row (SPARK-27340: a
 * later groupBy on it is a windowed aggregation, see plan-aggregate). A sliding window would turn
 * each row into several, and a session window exists only per group: both stay groupBy keys.
 */
function bindWindow(e: Extract<Expr, { op: 'window' }>, schema: Struct): Bound {
  if (e.kind !== 'tumbling') {
    throw new AnalysisError(`${e.text} can only be used as a key of groupBy(), e.g. groupBy(${e.kind === 'session' ? 'col(\'user_id\'), ' : ''}${e.text}): `
      + (e.kind === 'session' ? 'a session exists only within a group.' : 'with a slide each row falls in several windows; sluice does not expand rows in select().'));
  }
  const time = bind(e.child, schema);
  if (time.type.kind !== 'timestamp') throw new AnalysisError(`${e.text}: the time column '${time.name}' is ${typeToString(time.type)}, not a timestamp. Cast it with .cast('timestamp').`);
  const size = e.sizeMs;
  return { type: windowType, name: 'window', eval: (b, ctx) => tumblingWindows(time.eval(b, ctx), b.numRows, size) };
}

function expectBoolean(b: Bound, e: Expr): Bound {
  if (b.type.kind !== 'boolean' && b.type.kind !== 'null') throw new AnalysisError(`'${b.name}' is ${typeToString(b.type)}, but ${exprToString(e)} needs a boolean.`);
  return b;
}

function bindFromJson(e: Extract<Expr, { op: 'from_json' }>, schema: Struct): Bound {
  const c = bind(e.child, schema);
  const kernel = compileFromJson(e, c, schema);
  if (typeof kernel === 'string') throw new AnalysisError(kernel);
  return { type: e.schema, name: exprToString(e), eval: (b, ctx) => kernel(c.eval(b, ctx), b, ctx) };
}

/** The bound columns of select(): expands '*' and 'x.*'. */
export function bindSelect(exprs: readonly Expr[], schema: Struct): Bound[] {
  const out: Bound[] = [];
  for (const x of exprs) {
    const e = expandStars(x, schema);
    if (e.op !== 'star') {
      const b = bind(e, schema);
      // A bare current_date that resolved to a column keeps the column's name; m['k'] on a map is named m[k] (a struct's field is named by itself).
      const keep = (e.op === 'call' && b.columnIndex !== undefined) || (e.op === 'getField' && b.mapLookup === true);
      out.push({ ...b, name: keep ? b.name : outputName(e) });
      continue;
    }
    if (!e.qualifier) { schema.fields.forEach((f, k) => out.push(resolveColumn(schema.fields[k]!.name, schema))); continue; }
    const parent = resolveColumn(e.qualifier, schema);
    if (parent.type.kind !== 'struct') throw new AnalysisError(`'${e.qualifier}.*' needs a struct column, but '${e.qualifier}' is ${typeToString(parent.type)}.`);
    for (const f of (parent.type as Struct).fields) out.push(getField(parent, [f.name], schema, `${e.qualifier}.${f.name}`));
  }
  const seen = new Set<string>();
  for (const b of out) {
    if (seen.has(b.name)) throw new AnalysisError(`select() would produce two columns named '${b.name}'; give one an alias().`);
    seen.add(b.name);
  }
  return out;
}
