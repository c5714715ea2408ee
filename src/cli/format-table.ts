/** Rows as an aligned text table, numbers right-aligned, like a SQL shell prints them. */
export function formatTable(columns: readonly string[], numeric: readonly boolean[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const cell = (v: string, i: number): string => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!));
  const line = (cells: readonly string[]): string => cells.map(cell).join(' | ').trimEnd();
  const out = [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)];
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}
