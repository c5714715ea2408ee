import { OptionError } from '../../errors.ts';

export const MEMORY_BUDGET_KEY = 'sluice.state.memoryBudget';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, kb: 2 ** 10, m: 2 ** 20, mb: 2 ** 20, g: 2 ** 30, gb: 2 ** 30, t: 2 ** 40, tb: 2 ** 40 };

/**
 * `sluice.state.memoryBudget` in bytes, or null when unset (all state stays in memory). Sizes
 * are written as Spark writes them ('512m', '2g', '64k', or bytes), powers of 1024 as in Spark's
 * JavaUtils.byteStringAs; case and a trailing 'b' do not matter.
 */
export function memoryBudget(conf: ReadonlyMap<string, string>): number | null {
  const raw = conf.get(MEMORY_BUDGET_KEY);
  if (raw === undefined) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new OptionError(`Session config '${MEMORY_BUDGET_KEY}' must be a size such as '512m', '2g' or a number of bytes >= 1, got '${raw}'. `
      + `Leave it unset to keep all state in memory.`);
  }
  return bytes;
}
