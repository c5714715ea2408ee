/**
 * `sluice run <script.ts> [-- args]`: runs a readStream/writeStream script in this process (tsx
 * is already loaded, so TypeScript needs no build step) and reports its queries' progress.
 */
import { readFileSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Session } from '../api/session.ts';
// --ui works even for a script that reaches sluice other than through the package entry.
import '../ui/register-web-ui.ts';
import { CliError } from './cli-error.ts';
import { RunReporter, type ReportMode } from './run-reporter.ts';
import { CronSchedule } from '../runtime/cron-schedule.ts';
import { CRON_CONF, CRON_TIME_ZONE_CONF } from '../runtime/trigger.ts';
import { SCALE_OUT_OPTION } from '../runtime/scale-out/start-worker.ts';
import { runWorkers, WORKER_ENV } from './run-workers.ts';

const USAGE = `Usage:
  sluice run <script.ts> [options] [-- script arguments]

Runs a readStream/writeStream script (TypeScript or JavaScript, no build step) and reports the
progress of every query it starts:
  sluice run examples/orders-spark.ts -- --events 200000 --max-offsets-per-trigger 10000

On a terminal, a live status line per query: batch id, input and processing rows/s, watermark,
state rows, Kafka lag per topic, and for availableNow a progress bar with the time left.
Otherwise one JSON progress record (Spark's StreamingQueryProgress) per batch and line on stdout.

Options:
  --log-format text|json   text: the status line on a terminal, one plain line per batch
                           elsewhere; json: one progress record per line (default: text on a
                           terminal, json when stdout is not one)
  --ui PORT                serve the web UI for the script's queries on PORT (0: any free
                           port); sets session conf sluice.ui.port unless the script sets it
  --cron 'EXPR'            queries that call no trigger() drain what is available at each tick
                           of the cron expression, as trigger({ cron: 'EXPR' }) (e.g. '*/15 * * * *';
                           a sixth field first means seconds); sets session conf sluice.trigger.cron
  --cron-timezone ZONE     the IANA time zone of --cron's ticks (default UTC); conf
                           sluice.trigger.cronTimeZone
  --workers N              run the script in N local worker processes that share its queries'
                           tasks (scale-out, docs/design/scale-out.md; sets session conf
                           sluice.scaleOut); their output is prefixed [worker i]
Arguments after -- reach the script as process.argv.slice(2).
Exit code: 1 if the script throws or one of its queries fails, 130 if interrupted.
`;

export async function main(argv: string[]): Promise<number> {
  // Everything after `--` is the script's, even words that look like our flags.
  const dash = argv.indexOf('--');
  const ours = dash < 0 ? argv : argv.slice(0, dash);
  const scriptArgs = dash < 0 ? [] : argv.slice(dash + 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: ours, allowPositionals: true, strict: true,
      options: { 'log-format': { type: 'string' }, ui: { type: 'string' }, cron: { type: 'string' }, 'cron-timezone': { type: 'string' }, workers: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\nArguments for the script go after \`--\`: sluice run <script.ts> -- --its-flag value\n\n${USAGE}`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) { process.stdout.write(USAGE); return 0; }
  if (positionals.length !== 1) {
    throw new CliError(positionals.length === 0
      ? `sluice run needs the script to run.\n\n${USAGE}`
      : `sluice run takes one script, got ${positionals.join(' ')}; arguments for the script go after \`--\`.\n\n${USAGE}`);
  }
  const script = path.resolve(positionals[0]!);
  if (!statSync(script, { throwIfNoEntry: false })?.isFile()) {
    throw new CliError(`No script file at ${script} (from '${positionals[0]}', relative to ${process.cwd()}). Give the path of a .ts or .js file.`);
  }
  const format = v['log-format'];
  if (format !== undefined && format !== 'text' && format !== 'json') {
    throw new CliError(`--log-format takes 'text' or 'json', got '${format}'.`);
  }
  const uiPort = v.ui === undefined ? undefined : parsePort(v.ui);
  const cron = parseCron(v.cron, v['cron-timezone']);
  if (v.workers !== undefined) {
    const n = /^\d{1,3}$/.test(v.workers) ? Number(v.workers) : NaN;
    if (!(n >= 1)) throw new CliError(`--workers takes a number of worker processes from 1 to 999, got '${v.workers}'.`);
    // Each worker is this command without --workers; on a terminal, plain lines read better interleaved than JSON.
    const at = ours.indexOf('--workers');
    const rest = at >= 0 ? [...ours.slice(0, at), ...ours.slice(at + 2)] : ours.filter((a) => !a.startsWith('--workers='));
    const logFormat = format === undefined && process.stdout.isTTY ? ['--log-format', 'text'] : [];
    return runWorkers(n, [...rest, ...logFormat, ...(dash < 0 ? [] : ['--', ...scriptArgs])]);
  }
  const mode: ReportMode = (format ?? (process.stdout.isTTY ? 'text' : 'json')) === 'json' ? 'json' : process.stdout.isTTY ? 'live' : 'text';
  return runScript(script, scriptArgs, mode, { uiPort, cron, worker: new Map(workerConf()) });
}

/** A worker of `sluice run --workers N` (run-workers.ts): scale-out; the query's Kafka group assigns its tasks. */
function workerConf(): [string, string][] {
  const m = /^(\d+)\/(\d+)$/.exec(process.env[WORKER_ENV] ?? '');
  return m ? [[SCALE_OUT_OPTION, 'true']] : [];
}

interface RunSettings {
  readonly uiPort: number | undefined;
  /** Session conf that --cron and --cron-timezone set. */
  readonly cron: ReadonlyMap<string, string>;
  /** Session conf of a worker of `sluice run --workers` (workerConf). */
  readonly worker: ReadonlyMap<string, string>;
}

/** Checked here, so a typo fails before the script runs rather than at its first start(). */
function parseCron(expr: string | undefined, timeZone: string | undefined): Map<string, string> {
  if (expr === undefined) {
    if (timeZone !== undefined) throw new CliError(`--cron-timezone needs --cron: sluice run --cron '0 2 * * *' --cron-timezone ${timeZone} script.ts`);
    return new Map();
  }
  try {
    new CronSchedule(expr, timeZone ?? 'UTC');
  } catch (e) {
    throw new CliError(`--cron: ${(e as Error).message}`, { cause: e });
  }
  return new Map([[CRON_CONF, expr], ...(timeZone === undefined ? [] : [[CRON_TIME_ZONE_CONF, timeZone] as [string, string]])]);
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new CliError(`--ui takes a port number from 0 to 65535 (0 picks a free one), got '${text}'.`);
  return port;
}

async function runScript(script: string, args: readonly string[], mode: ReportMode, { uiPort, cron, worker }: RunSettings): Promise<number> {
  const reporter = new RunReporter(mode, path.basename(script));
  const sessions = new Set<Session>();
  // The script makes its own session (its appName, its config); the hook only looks on.
  const hook = (s: Session): void => {
    if (sessions.has(s)) return;
    sessions.add(s);
    // Like spark-submit's --conf: what the script sets itself wins.
    if (uiPort !== undefined && !s.conf.has('sluice.ui.port')) s.conf.set('sluice.ui.port', String(uiPort));
    // The expression and its zone go together: a script that sets its own cron keeps its own zone.
    if (cron.size > 0 && !s.conf.has(CRON_CONF)) for (const [k, val] of cron) s.conf.set(k, val);
    for (const [k, val] of worker) if (!s.conf.has(k)) s.conf.set(k, val);
    reporter.watch(s);
  };
  Session.created.push(hook);
  if (Session.active) hook(Session.active);
  const running = () => [...sessions].flatMap((s) => s.streams.active);

  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    const active = running();
    if (interrupted !== null || active.length === 0) {
      reporter.finish('interrupted');
      process.exit(128 + constants.signals[signal]);
    }
    interrupted = signal;
    process.stderr.write(`sluice run: stopping ${active.length === 1 ? 'the query' : `${active.length} queries`} after the batch in progress (${signal} again to quit at once)\n`);
    for (const q of active) void q.stop();
  };
  // The script's own crash or process.exit(): Node prints the error or ends right after these, so leave the terminal clean first.
  const onCrash = (): void => { if (process.listenerCount('uncaughtException') === 0) reporter.finish('crashed'); };
  const onExit = (): void => reporter.finish('exited');
  // `sluice run x | head`: once the reader is gone, end as a program killed by SIGPIPE would, not with a stack.
  const onStdoutError = (e: NodeJS.ErrnoException): void => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(128 + constants.signals.SIGPIPE);
  };
  process.stdout.on('error', onStdoutError);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtExceptionMonitor', onCrash);
  process.on('exit', onExit);

  process.argv = [process.argv[0]!, script, ...args];
  try {
    await importScript(script);
    // A script may start queries and return without awaiting them; the run lasts as long as they do.
    for (let active = running(); active.length > 0; active = running()) {
      await Promise.allSettled(active.map((q) => q.awaitTermination()));
    }
    const failures = reporter.failed();
    reporter.finish(interrupted ? 'interrupted' : failures.length > 0 ? 'failed' : 'done');
    if (interrupted) return 128 + constants.signals[interrupted];
    if (failures.length > 0) throw new CliError(failures.join('\n'));
    // A script that set its own exit code keeps it.
    return Number(process.exitCode ?? 0) || 0;
  } catch (e) {
    reporter.finish(interrupted ? 'interrupted' : 'failed');
    throw e;
  } finally {
    Session.created.splice(Session.created.indexOf(hook), 1);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('uncaughtExceptionMonitor', onCrash);
    process.off('exit', onExit);
    // The stdout 'error' listener stays: an EPIPE from the last write is emitted after this returns.
  }
}

async function importScript(script: string): Promise<void> {
  try {
    await import(pathToFileURL(script).href);
  } catch (e) {
    // Node and tsx load a .ts file under a package.json without "type": "module" as CommonJS,
    // where neither top-level await nor importing sluice (ES modules) works; their errors do not say so.
    const code = (e as NodeJS.ErrnoException)?.code;
    const message = e instanceof Error ? e.message : '';
    if (loadsAsCommonJs(script) && (code === 'ERR_REQUIRE_CYCLE_MODULE' || code === 'ERR_REQUIRE_ESM' || /"cjs" output format/.test(message))) {
      throw new CliError(`${script} is loaded as CommonJS, where top-level await and importing sluice do not work: `
        + `add "type": "module" to the package.json of its project (or create one next to it with {"type": "module"}), or rename it to .mts.`, { cause: e });
    }
    throw e;
  }
}

/** Whether Node takes the script for CommonJS: by its extension, else by the nearest package.json's "type". */
function loadsAsCommonJs(script: string): boolean {
  if (/\.[cm][jt]s$/.test(script)) return /\.c[jt]s$/.test(script);
  for (let dir = path.dirname(script); ; dir = path.dirname(dir)) {
    let text: string | null = null;
    try { text = readFileSync(path.join(dir, 'package.json'), 'utf8'); } catch { /* none here: look further up */ }
    if (text !== null) {
      try { return (JSON.parse(text) as { type?: unknown }).type !== 'module'; } catch { return true; }
    }
    if (path.dirname(dir) === dir) return true;
  }
}
