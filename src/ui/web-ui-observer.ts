import type { QueryObserver } from '../runtime/query-observers.ts';
import { openUi } from './ui-server.ts';
import { parseUiPort } from './ui-port.ts';

/**
 * The web UI as a query observer: a query started with writer option `ui.port`, or in a session
 * with conf `sluice.ui.port` (set by `sluice run --ui`), is shown on the UI server of that port.
 * The port is checked with the query's other settings, bound after the checkpoint's lease is
 * taken, and the query then feeds the page through a StreamingQueryListener (ui-server.ts).
 */
export const webUiObserver: QueryObserver = {
  options: ['ui.port'],
  configure({ options, conf }) {
    const port = uiPort(options, conf);
    if (port === null) return null;
    return async () => {
      const lease = await openUi(port);
      return {
        attach(query, listeners) {
          query.ui = lease.url;
          lease.watch(query, listeners);
        },
        release: () => lease.release(),
      };
    };
  },
};

/** Option 'ui.port', else conf 'sluice.ui.port'; null: no UI. */
function uiPort(options: ReadonlyMap<string, string>, conf: ReadonlyMap<string, string>): number | null {
  const opt = options.get('ui.port');
  if (opt !== undefined) return parseUiPort(opt, `Option 'ui.port'`);
  const value = conf.get('sluice.ui.port');
  return value === undefined ? null : parseUiPort(value, `Session conf 'sluice.ui.port'`);
}
