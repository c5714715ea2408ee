// vitest globalSetup: make sure dependencies and .build/mock_kafka exist before
// any test file starts a broker. A child process, not an import: setup.mjs is
// plain JS without type declarations, and it may run npm/apt/gcc anyway.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function globalSetup(): void {
  const script = fileURLToPath(new URL('../../scripts/setup.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--test'], { stdio: ['ignore', 2, 2] });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`node scripts/setup.mjs failed (exit ${r.status ?? r.signal}); see its output above`);
}
