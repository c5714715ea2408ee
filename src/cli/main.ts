/**
 * The `sluice` command (bin/sluice.mjs runs this file). Each subcommand is its own file and
 * parses its own flags; this file only dispatches.
 *
 *   sluice run <script.ts> [-- script args]
 *   sluice query <path> "<SQL>"
 *   sluice checkpoint show|state <dir|s3://...>
 */
import { SluiceError } from '../errors.ts';
import { CliError } from './cli-error.ts';

interface Command {
  readonly summary: string;
  /** Loaded on use, so `sluice query` does not load what `sluice run` needs and the reverse. */
  readonly load: () => Promise<{ main(argv: string[]): Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  run: { summary: 'run a readStream/writeStream script with a live status line (and --ui PORT)', load: () => import('./run-command.ts') },
  query: { summary: 'DuckDB SQL over the committed Parquet files of an output path', load: () => import('./query-command-main.ts') },
  checkpoint: { summary: 'show what a checkpoint holds (show), or its state rows (state)', load: () => import('./checkpoint-command.ts') },
};

const USAGE = `Usage: sluice <command> [options]   (sluice <command> --help for its options)

Commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(12)}${c.summary}`).join('\n')}
`;

async function main(argv: string[]): Promise<number> {
  // The SDK's notice that its 2027 releases need Node 22 is not this command's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new CliError(`Unknown command '${name}'.\n\n${USAGE}`);
  return (await command.load()).main(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    // Our own errors say what to do; a stack would only bury that.
    process.stderr.write(e instanceof SluiceError ? `sluice: ${e.message}\n` : `sluice: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
