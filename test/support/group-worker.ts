// A scale-out worker reduced to its group membership, for the group tests and their child
// fixture: it joins, and on every rebalance rejoins owning the tasks it had, recording each
// generation's assignment.
import { KafkaClient } from '../../src/kafka/kafka-client.ts';
import { type GroupAssignment, GroupMember, type GroupMemberOptions, type RebalanceReason } from '../../src/kafka/group/group-member.ts';

/** The test group's timing: the mock's rebalances wait sessionTimeout - 1 s, so it is short, with room for a busy machine. */
export const TEST_TIMING = { sessionTimeoutMs: 3000, rebalanceTimeoutMs: 3000, heartbeatIntervalMs: 300 } as const;

export class GroupWorker {
  readonly client: KafkaClient;
  readonly member: GroupMember;
  /** Each generation this worker was part of, in order. */
  readonly history: GroupAssignment[] = [];
  readonly rebalances: RebalanceReason[] = [];
  error: unknown = null;
  private rejoining: Promise<void> | null = null;

  constructor(bootstrap: string, opts: Omit<GroupMemberOptions, 'sessionTimeoutMs' | 'rebalanceTimeoutMs' | 'heartbeatIntervalMs'> & Partial<GroupMemberOptions>,
    private readonly onJoined?: (a: GroupAssignment) => void) {
    // The member's own client: the coordinator serialises a connection behind a pending JoinGroup.
    this.client = new KafkaClient({ servers: bootstrap.split(','), clientId: 'sluice-group-test', requestTimeoutMs: 15_000, connectTimeoutMs: 5_000 });
    this.member = new GroupMember(this.client, { ...TEST_TIMING, ...opts });
    this.member.onRebalance((reason) => {
      this.rebalances.push(reason);
      this.rejoining ??= this.join().finally(() => { this.rejoining = null; });
    });
  }

  current(): GroupAssignment | null { return this.member.assignment(); }

  async join(): Promise<void> {
    try {
      const a = await this.member.join(this.history.at(-1)?.tasks ?? []);
      this.history.push(a);
      this.onJoined?.(a);
    } catch (e) {
      this.error = e;
    }
  }

  async leave(): Promise<void> { await this.member.leave(); await this.client.close(); }

  /** As a SIGKILL would leave it: no LeaveGroup, no heartbeats, connections dropped. */
  async abandon(): Promise<void> { this.member.abandon(); await this.client.close(); }
}

/**
 * The workers agree on one generation, none is rejoining, and their tasks are disjoint and cover
 * `tasks`: the group is settled. Answers that generation, or null.
 */
export function settled(workers: readonly GroupWorker[], tasks: readonly string[]): number | null {
  const cur = workers.map((w) => w.current());
  if (cur.some((c) => c === null) || workers.some((w) => w.member.rebalanceNeeded())) return null;
  const gen = cur[0]!.generation;
  if (cur.some((c) => c!.generation !== gen || c!.members.length !== workers.length)) return null;
  const all = cur.flatMap((c) => c!.tasks);
  if (all.length !== tasks.length || new Set(all).size !== tasks.length || !tasks.every((t) => all.includes(t))) return null;
  return gen;
}

export async function waitFor<T>(what: string, f: () => T | null, timeoutMs: number, describe: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Each member's tasks in a generation, by member id. */
export const byMember = (a: GroupAssignment): Map<string, string[]> => new Map(a.members.map((m) => [m.memberId, [...m.tasks]]));
