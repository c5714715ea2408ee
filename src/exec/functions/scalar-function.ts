import type * as A from 'apache-arrow';
import type { DataType } from '../../data/types.ts';
import type { Cell } from '../../data/cells.ts';
import type { EvalContext } from '../compiled-expr.ts';

/**
 * The contract of a scalar SQL function (one value out per row in): what the analyzer needs to
 * type-check a call and what the operators run. An entry knows nothing of Columns or the plan, so
 * the column API, the analyzer and a SQL-expression parser can all find it by name in registry.ts.
 */

/** An argument of a call as the type rule sees it: resolved against the schema, not yet run. */
export interface Arg {
  readonly type: DataType;
  /** Its text, e.g. `name` or `(n + 1)`, for messages. */
  readonly name: string;
  /** Set when the argument is a literal: a rule may read it once (a pattern, a format, a scale). */
  readonly constant?: { readonly value: Cell };
}

/**
 * The columnar body of a function: one Arrow column per argument, each already cast to the type
 * the rule asked for, all `n` rows long; returns `n` rows of the result type.
 */
export type Kernel = (args: readonly A.Data[], n: number, ctx: EvalContext) => A.Data;

/** What a type rule returns for a well-typed call. */
export interface BoundFunction {
  /** The type each argument is cast to before the kernel runs (Spark's implicit casts). */
  readonly inputTypes: readonly DataType[];
  readonly returnType: DataType;
  /** Compiled once per query; it may close over constants the rule read. */
  readonly kernel: Kernel;
}

/** How many arguments a function takes: exactly n, or [min, max] (max may be Infinity). */
export type Arity = number | readonly [min: number, max: number];

export interface ScalarFunction {
  /** Spark SQL's name, lower case. Lookups ignore case, as Spark's do. */
  readonly name: string;
  /** Other names Spark registers for the same function (`ucase` for `upper`). */
  readonly aliases?: readonly string[];
  /** Checked before the type rule, so a rule may index its arguments freely. */
  readonly arity: Arity;
  /**
   * The type rule, run once when the query is analysed: a BoundFunction, or a message naming
   * the argument that does not fit and why (the analyzer adds the call's text to it).
   */
  bind(args: readonly Arg[]): BoundFunction | string;
  /** The column-API function that builds a call when it is not `name` (casewhen is built by when()). */
  readonly columnApi?: string;
  /** Spark's text of a call when it is not `name(a, b)`, e.g. `(NOT a)`: it names output columns. */
  sql?(args: readonly string[]): string;
}
