/**
 * The rules of a state directory's files, in one place (Spark's HDFSBackedStateStoreProvider):
 * version N is `<N>.delta` (the keys changed or removed since N-1), and every few versions also
 * `<N>.snapshot` (all live keys). Version N is rebuilt from the newest snapshot at or below it
 * (none: from empty) and then each delta after that snapshot up to N. The store loads and purges
 * by these rules, and the checkpoint tools say which versions can be rebuilt by the same ones.
 */
export type StateFileKind = 'delta' | 'snapshot';

export function stateFileName(version: number, kind: StateFileKind): string {
  return `${version}.${kind}`;
}

export function parseStateFileName(name: string): { version: number; kind: StateFileKind } | null {
  const m = /^(\d+)\.(delta|snapshot)$/.exec(name);
  return m ? { version: Number(m[1]), kind: m[2] as StateFileKind } : null;
}

/** What rebuilding one version reads: a snapshot (or none) and the deltas after it, in order. */
export interface RebuildPlan {
  readonly snapshot: number | null;
  readonly deltas: readonly number[];
  /** The first delta the plan needs that the directory lacks; null when the version can be rebuilt. */
  readonly missingDelta: number | null;
}

/** A listing of one state directory, read by the rules above. */
export class StateFiles {
  private readonly deltas = new Set<number>();
  private readonly snapshots = new Set<number>();

  constructor(names: readonly string[]) {
    for (const n of names) {
      const p = parseStateFileName(n);
      if (p) (p.kind === 'delta' ? this.deltas : this.snapshots).add(p.version);
    }
  }

  has(version: number, kind: StateFileKind): boolean {
    return (kind === 'delta' ? this.deltas : this.snapshots).has(version);
  }

  /** The newest snapshot at or below `version` (version 0 never needs one), or null. */
  baseSnapshot(version: number): number | null {
    for (let v = version; v > 0; v--) if (this.snapshots.has(v)) return v;
    return null;
  }

  rebuildPlan(version: number): RebuildPlan {
    const snapshot = this.baseSnapshot(version);
    const deltas: number[] = [];
    for (let v = (snapshot ?? -1) + 1; v <= version; v++) {
      if (!this.deltas.has(v)) return { snapshot, deltas, missingDelta: v };
      deltas.push(v);
    }
    return { snapshot, deltas, missingDelta: null };
  }

  /** Every version with a file that can be rebuilt, ascending. */
  readableVersions(): number[] {
    return [...new Set([...this.deltas, ...this.snapshots])].sort((a, b) => a - b)
      .filter((v) => this.rebuildPlan(v).missingDelta === null);
  }

  /** The versions that can be rebuilt without the file `name` (when that file is damaged), ascending. */
  readableWithout(name: string): number[] {
    const bad = parseStateFileName(name);
    return this.readableVersions().filter((v) => {
      if (!bad) return true;
      const plan = this.rebuildPlan(v);
      return bad.kind === 'snapshot' ? plan.snapshot !== bad.version : !plan.deltas.includes(bad.version);
    });
  }

  /**
   * The file names no version from `keepFrom` on needs: everything older than the newest
   * snapshot at or below keepFrom, which is still needed to rebuild keepFrom itself.
   */
  purgeable(keepFrom: number): string[] {
    const base = this.baseSnapshot(keepFrom);
    if (base === null) return [];
    const out: string[] = [];
    for (const v of this.deltas) if (v < base) out.push(stateFileName(v, 'delta'));
    for (const v of this.snapshots) if (v < base) out.push(stateFileName(v, 'snapshot'));
    return out;
  }
}

/** `0..4, 7` for [0,1,2,3,4,7]; `none` for []. */
export function rangeText(vs: readonly number[]): string {
  if (!vs.length) return 'none';
  const parts: string[] = [];
  let a = vs[0]!, b = a;
  for (const v of [...vs.slice(1), NaN]) {
    if (v === b + 1) { b = v; continue; }
    parts.push(a === b ? String(a) : `${a}..${b}`);
    a = b = v;
  }
  return parts.join(', ');
}
