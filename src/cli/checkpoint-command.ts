/** `sluice checkpoint`: being built (issue #5). */
import { CliError } from './cli-error.ts';

export async function main(_argv: string[]): Promise<number> {
  throw new CliError('sluice checkpoint is not built yet.');
}
