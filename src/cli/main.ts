/**
 * The `sluice` command (bin/sluice.mjs runs this file):
 *
 *   sluice query <path> "<SQL>" [--json] [--cache DIR] [--endpoint URL] [--region R] [--path-style]
 */
import { parseArgs } from 'node:util';
import { SluiceError } from '../errors.ts';
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

async function main(argv: string[]): Promise<number> {
  // The SDK's notice that its 2027 releases need Node 22 is not this command's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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
  const { values: v, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (v.help || command === 'help' || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !v.help ? 2 : 0;
  }
  if (command !== 'query') throw new CliError(`Unknown command '${command}'.\n\n${USAGE}`);
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

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    // Our own errors say what to do; a stack would only bury that.
    process.stderr.write(e instanceof SluiceError ? `sluice: ${e.message}\n` : `sluice: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
