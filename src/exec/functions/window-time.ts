import { timestamp, typeToString } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { cellReader, cellWriter } from '../../data/cells.ts';
import type { ScalarFunction } from './scalar-function.ts';

/**
 * window_time(window) (Spark 3.4): the event time of a window, its end less the smallest time step,
 * as windows exclude their end. Spark's step is a microsecond; sluice's timestamps are milliseconds,
 * so it is end - 1 ms: a window of it still falls in the window that holds the whole input window,
 * which is what window(window_time(w), ...) of a windowed aggregation's output needs.
 */
export const window_time: ScalarFunction = {
  name: 'window_time', arity: 1,
  bind([a]) {
    const t = a!.type;
    const end = t.kind === 'struct' ? t.fields.findIndex((f) => f.name === 'end' && f.type.kind === 'timestamp') : -1;
    if (t.kind !== 'struct' || end < 0 || !t.fields.some((f) => f.name === 'start' && f.type.kind === 'timestamp')) {
      return `argument 1 requires a window column (struct<start:timestamp,end:timestamp>, made by window() or session_window()), however, '${a!.name}' is of ${typeToString(t)} type`;
    }
    return {
      inputTypes: [t], returnType: timestamp,
      kernel: ([w], n) => {
        const ends = cellReader(w!.children[end]!, timestamp), out = cellWriter(timestamp, n);
        for (let i = 0; i < n; i++) {
          const v = isValid(w!, i) ? ends(i) : null;
          out.push(v === null ? null : (v as number) - 1);
        }
        return out.finish();
      },
    };
  },
};
