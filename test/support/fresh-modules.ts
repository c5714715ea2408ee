// vitest setupFile: every test file starts on fresh copies of src and test/support, as in a process of
// its own. The worker processes are shared by many test files (isolate: false in vitest.config.ts): a new
// fork per file loaded the native packages (DuckDB, Arrow, parquet-wasm, the AWS SDK...) again each time,
// which was most of a light file's CPU. vi.resetModules() drops the module runner's evaluated modules
// (Node's own cache keeps the packages), so module state (Session.active, memory tables, the function
// registry, kafka shared clients...) is never one another file left.
import { vi } from 'vitest';

vi.resetModules();
