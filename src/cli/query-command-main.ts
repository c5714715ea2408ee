/** `sluice query <path> "<SQL>"`: flags and output; the work is in query-command.ts. */
import { parseArgs } from 'node:util';
import { CliError } from './cli-error.ts';
import { S3_FLAGS, S3_FLAGS_USAGE, s3Conf } from './s3-flags.ts';
import { runQueryCommand } from './query-command.ts';

const USAGE = `Usage:
  sluice query <path> "<SQL>" [options]

Runs DuckDB SQL over the committed Parquet files of a sluice output path (local or s3://),
exposed as the view \`output\`:
  sluice query ./lake/user-spend "SELECT user_id, sum(total_spend) FROM output GROUP BY 1"

Options:
  --json            print the rows as a JSON array instead of a table
  --cache DIR       where s3:// outputs are copied to (default ~/.cache/sluice/<hash>)
${S3_FLAGS_USAGE}
`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean' }, cache: { type: 'string' }, ...S3_FLAGS, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const { values: v, positionals: rest } = parsed;
  if (v.help) { process.stdout.write(USAGE); return 0; }
  if (rest.length !== 2) throw new CliError(`sluice query takes a path and one SQL string (quote it), got ${rest.length} argument${rest.length === 1 ? '' : 's'}.\n\n${USAGE}`);
  const conf = s3Conf(v);
  const out = await runQueryCommand({
    path: rest[0]!, sql: rest[1]!, json: v.json ?? false, conf,
    ...(v.cache !== undefined ? { cacheDir: v.cache } : {}),
    note: (line) => process.stderr.write(line + '\n'),
  });
  process.stdout.write(out);
  return 0;
}
