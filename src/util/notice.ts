/**
 * A line for the person running the query, on stderr, at once: for what they would otherwise wait
 * on in silence (a source waiting for its servers). Progress warnings reach them only after a batch
 * ends, which is too late for a wait that comes before one.
 */
export function notice(line: string): void {
  process.stderr.write(`sluice: ${line}\n`);
}
