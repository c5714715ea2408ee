// Running a command (usually sluice) to its end and collecting what it printed.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the working directory of every command run here. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The `sluice` command line tool. */
export const SLUICE_BIN = path.join(ROOT, 'bin/sluice.mjs');

export interface Ran { code: number | null; stdout: string; stderr: string }

/**
 * Runs `cmd args` in the project root with stdin closed and resolves with its exit code and its
 * whole output. The output is kept as bytes and decoded once at the end: a pipe chunk may end
 * inside a multi-byte UTF-8 character (box drawing, 'ü'), which decoding chunk by chunk would
 * turn into two U+FFFD.
 */
export function runCommand(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [], stderr: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
  });
}

/**
 * `sluice <args>` under this node, as runCommand: bin/sluice.mjs for `sluice run`, the same
 * src/cli/main.ts from its bundle otherwise (test/fixtures/sluice-cli.ts). Measured (load 8-9):
 * `sluice checkpoint show` took 2.0-2.5 CPU s through bin/sluice.mjs's tsx, 0.9 from a bundle,
 * and the tests start it about 30 times.
 */
export async function runSluice(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  if (args[0] === 'run') return runCommand(process.execPath, [SLUICE_BIN, ...args], env);
  // Imported here: child-bundles.ts imports ROOT from this module.
  const { childCommand } = await import('./child-bundles.ts');
  return runCommand(process.execPath, childCommand([path.join(ROOT, 'test/fixtures/sluice-cli.ts'), ...args]), env);
}
