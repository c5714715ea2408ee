import { OptionError } from '../errors.ts';

/** The `ui.port` option (or the `sluice.ui.port` conf): a whole number 0..65535, 0 for any free port. */
export function parseUiPort(value: string, source: string): number {
  const v = value.trim();
  const n = Number(v);
  if (v === '' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new OptionError(`${source} must be a port number from 0 to 65535 (0 picks a free port), got '${value}'.`);
  }
  return n;
}
