import type { ScalarFunction } from './scalar-function.ts';
import { not } from './not.ts';
import { isnull, isnotnull } from './is-null.ts';
import { upper, lower } from './upper-lower.ts';

/** Every scalar SQL function: adding one is its file plus one line here. */
export const scalarFunctions: readonly ScalarFunction[] = [
  not,
  isnull, isnotnull,
  upper, lower,
];

/** By lower-case name and alias; a name given twice is a mistake caught when the module loads. */
const byName = new Map<string, ScalarFunction>();
for (const f of scalarFunctions) {
  for (const name of [f.name, ...(f.aliases ?? [])]) {
    const key = name.toLowerCase();
    if (byName.has(key)) throw new Error(`Two SQL functions are registered as '${key}'.`);
    byName.set(key, f);
  }
}

/** The function called `name` (any case, or an alias), as the analyzer and a SQL parser look it up. */
export function lookupFunction(name: string): ScalarFunction | undefined {
  return byName.get(name.toLowerCase());
}

/** Every name a call may use, aliases included, sorted: for messages and generated docs. */
export function functionNames(): string[] {
  return [...byName.keys()].sort();
}
