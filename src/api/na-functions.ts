import { AnalysisError } from '../errors.ts';
import { type DataType, isNumeric, typeToString } from '../data/types.ts';
import { Column, toColumn } from './column.ts';
import type { DataFrame } from './dataframe.ts';

type FillValue = number | string | boolean;

/** Whether fill(value) applies to a column of type t, as Spark's fill: numbers to numeric columns, strings to strings, booleans to booleans. */
function fits(value: FillValue, t: DataType): boolean {
  if (typeof value === 'number') return isNumeric(t) || t.kind === 'decimal';
  if (typeof value === 'string') return t.kind === 'string';
  return t.kind === 'boolean';
}

function checkValue(where: string, v: unknown): asserts v is FillValue {
  if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') {
    throw new AnalysisError(`${where}: the value must be a number, a string or a boolean, got ${v === null ? 'null' : typeof v}.`);
  }
}

/** df.na (and df.fillna / df.dropna): Spark's DataFrameNaFunctions. */
export class DataFrameNaFunctions {
  constructor(private readonly df: DataFrame) {}

  private names(where: string, subset: readonly string[] | undefined): string[] {
    const fields = this.df.schema.fields;
    if (!subset) return fields.map((f) => f.name);
    return subset.map((s) => {
      const f = fields.find((x) => x.name.toLowerCase() === s.toLowerCase());
      if (!f) throw new AnalysisError(`${where}: cannot resolve column name '${s}' among (${fields.map((x) => x.name).join(', ')}).`);
      return f.name;
    });
  }

  /**
   * Nulls replaced: fill(0) in numeric columns, fill('') in string ones, fill(false) in booleans
   * (the value is cast to each column's type, as Spark does), or fill({ amount: 0, city: 'n/a' }).
   * `subset` limits a single value to those columns.
   */
  fill(value: FillValue | Record<string, FillValue>, subset?: string | string[]): DataFrame {
    const fields = this.df.schema.fields;
    const perColumn = new Map<string, FillValue>();
    if (typeof value === 'object' && value !== null) {
      for (const [name, v] of Object.entries(value)) {
        checkValue(`na.fill({'${name}': …})`, v);
        perColumn.set(this.names('na.fill', [name])[0]!, v);
      }
    } else {
      checkValue('na.fill(value)', value);
      for (const name of this.names('na.fill', subset === undefined ? undefined : [subset].flat())) {
        if (fits(value, fields.find((f) => f.name === name)!.type)) perColumn.set(name, value);
      }
    }
    return this.df.select(fields.map((f) => {
      const v = perColumn.get(f.name);
      if (v === undefined) return toColumn(f.name);
      if (!fits(v, f.type) && !(typeof v !== 'boolean' && f.type.kind === 'string')) {
        throw new AnalysisError(`na.fill({'${f.name}': ${JSON.stringify(v)}}): column '${f.name}' is ${typeToString(f.type)}; give a value of that type.`);
      }
      return new Column({ op: 'call', name: 'coalesce', args: [toColumn(f.name).expr, { op: 'cast', child: { op: 'lit', value: v }, to: f.type }] }).alias(f.name);
    }));
  }

  /**
   * Rows with nulls removed: how 'any' (default) drops a row with any null among `subset` (all
   * columns by default), 'all' one whose values there are all null; `thresh` keeps a row with at
   * least that many non-null values there, and overrides `how`, as in PySpark.
   */
  drop(how: 'any' | 'all' = 'any', thresh?: number, subset?: string | string[]): DataFrame {
    if (how !== 'any' && how !== 'all') throw new AnalysisError(`na.drop(how): how must be 'any' or 'all', got '${String(how)}'.`);
    const names = this.names('na.drop', subset === undefined ? undefined : [subset].flat());
    const need = thresh ?? (how === 'any' ? names.length : 1);
    if (!Number.isInteger(need) || need < 0) throw new AnalysisError(`na.drop(thresh): thresh must be a whole number of columns, got ${thresh}.`);
    if (names.length === 0) return this.df;
    const nonNull = names.map((n) => new Column({ op: 'call', name: 'casewhen', args: [toColumn(n).isNotNull().expr, { op: 'lit', value: 1 }, { op: 'lit', value: 0 }] }));
    return this.df.filter(nonNull.reduce((a, b) => a.plus(b)).geq(need));
  }
}
