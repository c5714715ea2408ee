// The rules of a state directory (state/state-files.ts), which the store's load and purge and the
// checkpoint tools all follow: what rebuilds a version, which versions can be rebuilt, what may go.
import { describe, expect, it } from 'vitest';
import { StateFiles } from '../src/state/state-files.ts';

describe('state files', () => {
  const names = ['0.delta', '1.delta', '2.delta', '2.snapshot', '3.delta', '5.delta', '6.delta', '6.snapshot', '_metadata', 'x.delta'];
  const files = new StateFiles(names);

  it('a version is rebuilt from the newest snapshot at or below it, then every delta after', () => {
    expect(files.rebuildPlan(1)).toEqual({ snapshot: null, deltas: [0, 1], missingDelta: null });
    expect(files.rebuildPlan(3)).toEqual({ snapshot: 2, deltas: [3], missingDelta: null });
    expect(files.rebuildPlan(2)).toEqual({ snapshot: 2, deltas: [], missingDelta: null });
    expect(files.rebuildPlan(5).missingDelta).toBe(4);
    expect(files.rebuildPlan(6)).toEqual({ snapshot: 6, deltas: [], missingDelta: null });
  });

  it('lists the readable versions, skipping those behind a missing delta', () => {
    expect(files.readableVersions()).toEqual([0, 1, 2, 3, 6]);
  });

  it('purges only what no retained version needs', () => {
    expect(files.purgeable(1)).toEqual([]);
    expect(files.purgeable(5).sort()).toEqual(['0.delta', '1.delta']);
    expect(files.purgeable(6).sort()).toEqual(['0.delta', '1.delta', '2.delta', '2.snapshot', '3.delta', '5.delta']);
  });
});
