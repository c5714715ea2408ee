/**
 * sluice's sticky task assignor (docs/design/scale-out.md, "Assignment and rebalancing"): a task
 * stays with its owner while the owner is a member and within its fair share, and only the rest
 * moves, so a rebalance moves as few tasks (and their checkpoints) as a balanced result allows.
 *
 * Balanced means every member ends with floor(T/M) or ceil(T/M) tasks. Each member keeps up to
 * floor(T/M) of the tasks it owns; the T mod M places at ceil(T/M) go to members that own more
 * than the floor (each such place saves one move, so which of them gets it does not change the
 * count; member id order makes it deterministic). The tasks left over go one at a time, in task
 * order, to the member with the fewest (ties: member id order).
 *
 * A task two members claim (one of them acted on metadata from an older generation) goes to the
 * claim of the newer generation, then to the first member id: the assignment never hands one task
 * to two members. Owned tasks not in `tasks` are dropped.
 */

export interface TaskOwner {
  readonly memberId: string;
  /** The tasks the member runs now. */
  readonly owned: readonly string[];
  /** The generation in which it was given them; a newer claim of a task wins over an older one. */
  readonly generation?: number;
}

/** The tasks of each member, keyed and ordered by member id; every member is in the map, possibly with none. */
export function assignTasks(members: readonly TaskOwner[], tasks: readonly string[]): Map<string, string[]> {
  const byId = [...members].sort((a, b) => cmp(a.memberId, b.memberId));
  const out = new Map<string, string[]>(byId.map((m) => [m.memberId, []]));
  if (byId.length === 0) return out;
  const order = new Map(tasks.map((t, i) => [t, i]));

  // One claimant per task: the newest generation, then the first member id (byId's order).
  const owner = new Map<string, TaskOwner>();
  for (const m of byId) {
    for (const t of m.owned) {
      if (!order.has(t)) continue;
      const prev = owner.get(t);
      if (!prev || (m.generation ?? -1) > (prev.generation ?? -1)) owner.set(t, m);
    }
  }
  const claimed = new Map<string, string[]>(byId.map((m) => [m.memberId, []]));
  for (const t of tasks) {
    const o = owner.get(t);
    if (o) claimed.get(o.memberId)!.push(t);
  }

  const floor = Math.floor(tasks.length / byId.length);
  let extra = tasks.length % byId.length;
  const kept = new Set<string>();
  for (const m of byId) {
    const mine = claimed.get(m.memberId)!;
    let keep = Math.min(mine.length, floor);
    if (mine.length > floor && extra > 0) { keep++; extra--; }
    for (const t of mine.slice(0, keep)) { out.get(m.memberId)!.push(t); kept.add(t); }
  }

  const lists = [...out.values()];
  for (const t of tasks) {
    if (kept.has(t)) continue;
    let fewest = lists[0]!;
    for (const l of lists) if (l.length < fewest.length) fewest = l;
    fewest.push(t);
  }
  // Each member's tasks in task order, whichever phase gave them.
  for (const l of lists) l.sort((a, b) => order.get(a)! - order.get(b)!);
  return out;
}

/** Tasks whose owner differs between two assignments (a task gained by a member that did not run it). */
export function countMoves(before: ReadonlyMap<string, readonly string[]>, after: ReadonlyMap<string, readonly string[]>): number {
  const was = new Map<string, string>();
  for (const [m, ts] of before) for (const t of ts) was.set(t, m);
  let moves = 0;
  for (const [m, ts] of after) for (const t of ts) if (was.get(t) !== m) moves++;
  return moves;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
