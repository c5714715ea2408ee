/** `sluice query <path> "<SQL>"`: flags and output; the work is in query-command.ts. */
import { parseArgs } from 'node:util';
import { CliError } from './cli-error.ts';
import { runQueryCommand } from './query-command.ts';

const USAGE = `Usage:
  sluice query <path> "<SQL>" [options]

Runs DuckDB SQL over the committed Parquet files of a sluice output path (local or s3://),
exposed as the view \`output\`:
  sluice query ./lake/user-spend "SELECT user_id, sum(total_spend) FROM output GROUP BY 1"

Options:
  --json            print the rows as a JSON array instead of a table
  --cache DIR       where s3:// outputs are copied to (default ~/.cache/sluice/<hash>)
  --endpoint URL    S3 endpoint (else AWS_ENDPOINT_URL_S3, else AWS)
  --region NAME     S3 region (else AWS_REGION, else us-east-1)
  --path-style      path-style S3 addressing (else SLUICE_S3_FORCE_PATH_STYLE)
Credentials come from the standard AWS chain (environment, profile, role).
`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean' }, cache: { type: 'string' }, endpoint: { type: 'string' }, region: { type: 'string' },
        'path-style': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const { values: v, positionals: rest } = parsed;
  if (v.help) { process.stdout.write(USAGE); return 0; }
  if (rest.length !== 2) throw new CliError(`sluice query takes a path and one SQL string (quote it), got ${rest.length} argument${rest.length === 1 ? '' : 's'}.\n\n${USAGE}`);
  const conf = new Map<string, string>();
  if (v.endpoint !== undefined) conf.set('sluice.s3.endpoint', v.endpoint);
  if (v.region !== undefined) conf.set('sluice.s3.region', v.region);
  if (v['path-style']) conf.set('sluice.s3.forcePathStyle', 'true');
  const out = await runQueryCommand({
    path: rest[0]!, sql: rest[1]!, json: v.json ?? false, conf,
    ...(v.cache !== undefined ? { cacheDir: v.cache } : {}),
    note: (line) => process.stderr.write(line + '\n'),
  });
  process.stdout.write(out);
  return 0;
}
