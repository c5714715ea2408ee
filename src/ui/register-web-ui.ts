/**
 * Importing this module plugs the web UI into every query the process starts. The package entry
 * (src/index.ts) and `sluice run` import it: the runtime below may not import ui/, so the UI
 * registers itself with the runtime's hook instead (runtime/query-observers.ts says why).
 */
import { registerQueryObserver } from '../runtime/query-observers.ts';
import { webUiObserver } from './web-ui-observer.ts';

registerQueryObserver(webUiObserver);
