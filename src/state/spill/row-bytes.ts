import type { Cell } from '../../data/cells.ts';

/**
 * The V8 heap bytes a cell holds past its 8-byte pointer in a column array (64-bit V8 with
 * pointer compression off, as Node ships): a heap number 16, a bigint 24, a flat one-byte
 * string 16 plus its length rounded up to 8 (two-byte strings twice the length), small
 * integers and booleans nothing. bench/state-at-scale.ts --budget checks the sum against RSS.
 */
export function cellBytes(c: Cell): number {
  if (c === null || c === undefined || typeof c === 'boolean') return 0;
  if (typeof c === 'number') return Number.isInteger(c) && c >= -(2 ** 30) && c < 2 ** 30 ? 0 : 16;
  if (typeof c === 'bigint') return 24;
  if (typeof c === 'string') return 16 + ((c.length * (/^[\0-\xff]*$/.test(c) ? 1 : 2) + 7) & ~7);
  if (c instanceof Uint8Array) return 96 + c.length;
  if (Array.isArray(c)) return c.reduce((n: number, x) => n + 8 + cellBytes(x as Cell), 32);
  return 64 + Object.values(c as object).reduce((n: number, x) => n + 8 + cellBytes(x as Cell), 0);
}
