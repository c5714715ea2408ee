// A chunk worker's entry (chunk-workers.ts starts it). The package ships TypeScript, so the worker
// registers tsx's loader first, as bin/sluice.mjs does, whatever loader its parent was started with.
import { register } from 'tsx/esm/api';

register();
await import('./chunk-worker.ts');
