import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childCommand } from './child-bundles.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOLD = fileURLToPath(new URL('../fixtures/hold-lease.ts', import.meta.url));

/**
 * Another process (test/fixtures/hold-lease.ts) holding the lease of checkpoint `cp`'s task `task`,
 * as a live run elsewhere would: resolves once it holds it. `release()` SIGKILLs it and waits for its
 * exit (the lease is then free); calling it again, or after the holder is gone, does nothing.
 */
export async function holdTaskLease(cp: string, task: string): Promise<{ release: () => Promise<void> }> {
  const holder = spawn(process.execPath, childCommand([HOLD, path.join(cp, 'tasks', task)]), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(holder.stdout!, 'data') as [Buffer];
  if (!line.toString().includes('held')) throw new Error(`hold-lease.ts said ${line.toString()}, not that it holds ${task}'s lease`);
  return {
    release: async () => {
      if (holder.exitCode !== null || holder.signalCode !== null) return;
      const exited = once(holder, 'exit');
      holder.kill('SIGKILL');
      await exited;
    },
  };
}
