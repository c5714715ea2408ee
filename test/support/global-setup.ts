// vitest globalSetup: make sure dependencies and .build/mock_kafka exist before
// any test file starts a broker, then bundle the child-process fixtures (child-bundles.ts).
// setup.mjs runs as a child process, not an import: it is plain JS without type
// declarations, and it may run npm/apt/gcc anyway.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default async function globalSetup(): Promise<void> {
  const script = fileURLToPath(new URL('../../scripts/setup.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--test'], { stdio: ['ignore', 2, 2] });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`node scripts/setup.mjs failed (exit ${r.status ?? r.signal}); see its output above`);
  // Imported only now: child-bundles.ts needs esbuild, which setup.mjs may just have installed.
  const { bundleChildren } = await import('./child-bundles.ts');
  await bundleChildren();
}
