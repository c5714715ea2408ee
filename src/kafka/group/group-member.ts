import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { GroupError } from '../../errors.ts';
import type { KafkaClient, KafkaGroupBroker } from '../kafka-client.ts';
import { assignTasks, countMoves } from './sticky-assignor.ts';

/**
 * One scale-out worker's membership of its Kafka group (docs/design/scale-out.md, "Assignment and
 * rebalancing"): JoinGroup/SyncGroup with protocol type `sluice`, the leader assigning tasks with
 * sticky-assignor.ts, heartbeats on a timer, LeaveGroup. kafkajs's consumer cannot be used: it
 * assigns topic partitions with its own protocol type; its Broker sends the bare requests.
 *
 *   const member = new GroupMember(client, { groupId, tasks, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 });
 *   let a = await member.join([]);                        // a.tasks: this worker's; a.members: the whole group
 *   member.onRebalance(() => { ... stop, then a = await member.join(a.tasks) ... });
 *   await member.leave();
 *
 * The KafkaClient must be the member's own. The coordinator handles a JoinGroup or SyncGroup
 * only when the group is ready, and answers nothing else on that connection meanwhile (a real
 * broker reads one request per connection at a time; the mock blocks the connection), so a
 * producer or a second member sharing the client would wait seconds behind it. Its
 * requestTimeoutMs should exceed sessionTimeoutMs: a SyncGroup can wait that long.
 *
 * Every member learns the whole assignment, not only its own tasks: the leader sends each member
 * the full table (member, host, UI port, tasks), so every worker can show the group view.
 *
 * The test broker's coordinator (librdkafka's mock) differs from Kafka's in timing and in one
 * way the code must handle: it ends the SyncGroup round when the leader's SyncGroup arrives, and
 * refuses a follower's that comes later (INVALID_REQUEST), dropping its assignment. So the leader
 * waits `leaderSyncDelayMs` before its SyncGroup, and a refused follower rejoins. The rest is in
 * docs/design/scale-out.md, "Assignment and rebalancing".
 */

export interface GroupMemberOptions {
  readonly groupId: string;
  /** Every task of the query; all members must pass the same list (the leader refuses a group whose members differ). */
  readonly tasks: readonly string[];
  /** The broker removes a member it has not heard from for this long (Kafka: group.min/max.session.timeout.ms bound it). */
  readonly sessionTimeoutMs: number;
  /** How long the coordinator waits for every member to rejoin in a rebalance; at least sessionTimeoutMs. */
  readonly rebalanceTimeoutMs: number;
  /** Heartbeat period; a third of the session timeout or less. */
  readonly heartbeatIntervalMs: number;
  /** Shown to the other members; default the machine's host name. */
  readonly host?: string;
  /** This worker's UI port, for the group view. */
  readonly uiPort?: number;
  /** More JSON every member sees in `members[].metadata` (kept small: it travels in every JoinGroup). */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** How long join() keeps trying before it fails; default 3 × (rebalanceTimeoutMs + sessionTimeoutMs). */
  readonly joinTimeoutMs?: number;
  /** The leader's wait before its SyncGroup, for the mock broker (above); default 300 ms. */
  readonly leaderSyncDelayMs?: number;
}

/** One member as the group view shows it. */
export interface GroupMemberView {
  readonly memberId: string;
  readonly host: string;
  readonly uiPort?: number;
  readonly tasks: readonly string[];
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** What join() answers: this member's tasks in the new generation, and the whole group's. */
export interface GroupAssignment {
  readonly generation: number;
  readonly memberId: string;
  readonly leader: boolean;
  readonly tasks: readonly string[];
  /** Every member of the generation, by member id, this one included. */
  readonly members: readonly GroupMemberView[];
  /** Tasks this generation gave to a member that did not claim them in its JoinGroup (first runs included): the rebalance's task moves. */
  readonly moves: number;
}

/**
 * Why the member must rejoin: the coordinator started a rebalance (REBALANCE_IN_PROGRESS, 27), the
 * generation is gone (ILLEGAL_GENERATION, 22), the member was removed (UNKNOWN_MEMBER_ID, 25: the
 * next join starts with a new member id), or no heartbeat got through for a session timeout.
 */
export type RebalanceReason = 'rebalance-in-progress' | 'illegal-generation' | 'unknown-member' | 'session-lost';

export const PROTOCOL_TYPE = 'sluice';

/** The group of a query's workers: one per query id (the checkpoint's metadata), as the design fixes it. */
export const groupIdOf = (queryId: string): string => `sluice-${queryId}`;
const PROTOCOL_NAME = 'sluice-sticky';
const VERSION = 1;

/** Kafka error codes the member acts on. */
const E = {
  COORDINATOR_LOAD_IN_PROGRESS: 14, COORDINATOR_NOT_AVAILABLE: 15, NOT_COORDINATOR: 16, ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23, UNKNOWN_MEMBER_ID: 25, REBALANCE_IN_PROGRESS: 27, INVALID_REQUEST: 42,
} as const;

/** JoinGroup metadata: what the leader needs to assign, and what the group view shows. */
interface MemberMetadata {
  version: number;
  owned: string[];
  /** The generation the owned tasks were given in (0: none yet); a newer claim of a task wins. */
  generation: number;
  host: string;
  uiPort?: number;
  /** sha256 of the task list, so the leader can tell members that disagree on it. */
  tasksDigest: string;
  taskCount: number;
  extra?: Record<string, unknown>;
}

/** SyncGroup assignment: the same table for every member, or the reason the leader refused the group. */
interface AssignmentTable {
  version: number;
  generation: number;
  members: GroupMemberView[];
  moves: number;
  error?: string;
}

export class GroupMember {
  private readonly o: GroupMemberOptions & { host: string; joinTimeoutMs: number; leaderSyncDelayMs: number };
  private readonly digest: string;
  private coordinator: KafkaGroupBroker | null = null;
  private memberId = '';
  private current: GroupAssignment | null = null;
  /** The last generation this member was given tasks in: its claim's age in the next JoinGroup. */
  private lastGeneration = 0;
  private rebalance: RebalanceReason | null = null;
  private readonly listeners = new Set<(reason: RebalanceReason) => void>();
  private timer: NodeJS.Timeout | null = null;
  private lastBeat = 0;
  private joining: Promise<GroupAssignment> | null = null;
  private stopped = false;

  constructor(private readonly client: KafkaClient, opts: GroupMemberOptions) {
    if (!opts.groupId) throw new GroupError('A scale-out group needs a group id.');
    if (!(opts.heartbeatIntervalMs > 0 && opts.heartbeatIntervalMs < opts.sessionTimeoutMs)) {
      throw new GroupError(`Group '${opts.groupId}': the heartbeat interval (${opts.heartbeatIntervalMs} ms) must be above 0 and below the session timeout (${opts.sessionTimeoutMs} ms); a third of it is usual.`);
    }
    // JoinGroup's request timeout is the rebalance timeout plus 5 s (kafkajs), and a join may wait about a session timeout.
    if (!(opts.rebalanceTimeoutMs >= opts.sessionTimeoutMs)) {
      throw new GroupError(`Group '${opts.groupId}': the rebalance timeout (${opts.rebalanceTimeoutMs} ms) must be at least the session timeout (${opts.sessionTimeoutMs} ms).`);
    }
    this.o = {
      ...opts, host: opts.host ?? hostname(), leaderSyncDelayMs: opts.leaderSyncDelayMs ?? 300,
      joinTimeoutMs: opts.joinTimeoutMs ?? 3 * (opts.rebalanceTimeoutMs + opts.sessionTimeoutMs),
    };
    this.digest = digestOf(opts.tasks);
  }

  /** The last assignment join() answered, until a rebalance, leave() or abandon(). */
  assignment(): GroupAssignment | null { return this.current; }

  /** True once the coordinator has said the current generation is over: stop, then join() again. */
  rebalanceNeeded(): boolean { return this.rebalance !== null; }

  /** Called once per generation, when it ends (from a heartbeat's answer); returns the unsubscribe. */
  onRebalance(listener: (reason: RebalanceReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Joins (or rejoins) the group, owning `owned` (the tasks this worker runs now: the leader keeps
   * them here where it can), and answers the new generation's assignment. Heartbeats run from then
   * on. Retries while the coordinator moves or a rebalance is under way, up to joinTimeoutMs.
   */
  join(owned: readonly string[]): Promise<GroupAssignment> {
    if (this.stopped) return Promise.reject(new GroupError(`Group '${this.o.groupId}': this member has left; create a new GroupMember to join again.`));
    // Two callers (a heartbeat's rebalance and a worker's own) share one join.
    this.joining ??= this.joinLoop(owned).finally(() => { this.joining = null; });
    return this.joining;
  }

  private async joinLoop(owned: readonly string[]): Promise<GroupAssignment> {
    this.stopHeartbeats();
    this.current = null;
    const deadline = Date.now() + this.o.joinTimeoutMs;
    let last: unknown;
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) throw new GroupError(`Group '${this.o.groupId}': left while joining.`);
      if (attempt > 0) {
        if (Date.now() > deadline) {
          throw new GroupError(`Could not join Kafka group '${this.o.groupId}' in ${this.o.joinTimeoutMs} ms (${attempt} attempts${this.where()}): ${describe(last)}. `
            + 'Check that the brokers are up and that no other program uses this group id.', { cause: last });
        }
        await sleep(Math.min(100 * 2 ** Math.min(attempt, 5), 2000));
      }
      let broker: KafkaGroupBroker;
      try {
        broker = await this.findCoordinator();
      } catch (e) { last = e; continue; }
      const metadata: MemberMetadata = {
        version: VERSION, owned: [...owned], generation: this.lastGeneration, host: this.o.host, tasksDigest: this.digest, taskCount: this.o.tasks.length,
        ...(this.o.uiPort !== undefined ? { uiPort: this.o.uiPort } : {}), ...(this.o.metadata ? { extra: { ...this.o.metadata } } : {}),
      };
      let joined: Awaited<ReturnType<KafkaGroupBroker['joinGroup']>>;
      try {
        joined = await broker.joinGroup({
          groupId: this.o.groupId, sessionTimeout: this.o.sessionTimeoutMs, rebalanceTimeout: this.o.rebalanceTimeoutMs,
          memberId: this.memberId, protocolType: PROTOCOL_TYPE, groupProtocols: [{ name: PROTOCOL_NAME, metadata: Buffer.from(JSON.stringify(metadata)) }],
        });
      } catch (e) { last = e; this.retryable(e, 'JoinGroup'); continue; }
      if (this.stopped) throw new GroupError(`Group '${this.o.groupId}': left while joining.`);
      this.memberId = joined.memberId;
      const leader = joined.leaderId === joined.memberId;
      let groupAssignment: { memberId: string; memberAssignment: Buffer }[] = [];
      if (leader) {
        const table = this.assign(joined.generationId, joined.members);
        const bytes = Buffer.from(JSON.stringify(table));
        groupAssignment = table.members.map((m) => ({ memberId: m.memberId, memberAssignment: bytes }));
        await sleep(this.o.leaderSyncDelayMs);
      }
      let synced: Buffer | null;
      try {
        ({ memberAssignment: synced } = await broker.syncGroup({ groupId: this.o.groupId, generationId: joined.generationId, memberId: this.memberId, groupAssignment }));
      } catch (e) { last = e; this.retryable(e, 'SyncGroup'); continue; }
      if (!synced || synced.length === 0) { last = new Error(`generation ${joined.generationId}'s assignment left this member out`); continue; }
      const table = parseTable(synced);
      if (!table) {
        throw new GroupError(`Kafka group '${this.o.groupId}': the leader's assignment is not a sluice ${VERSION} table${this.where()}. `
          + 'Another program, or a sluice of another version, leads this group: stop it, or give the query another id.');
      }
      if (table.error) {
        await this.leave();
        throw new GroupError(`Kafka group '${this.o.groupId}' (generation ${table.generation}): ${table.error}`);
      }
      const me = table.members.find((m) => m.memberId === this.memberId);
      if (!me) { last = new Error(`generation ${joined.generationId}'s assignment left this member out`); continue; }
      this.current = { generation: joined.generationId, memberId: this.memberId, leader, tasks: me.tasks, members: table.members, moves: table.moves };
      this.lastGeneration = joined.generationId;
      this.rebalance = null;
      this.lastBeat = Date.now();
      this.scheduleHeartbeat(this.current.generation);
      return this.current;
    }
  }

  /** The leader's table: sticky assignment over the members' owned tasks, or a refusal when they disagree on the task list. */
  private assign(generation: number, members: { memberId: string; memberMetadata: Buffer }[]): AssignmentTable {
    const metas = members.map((m) => ({ memberId: m.memberId, meta: parseMetadata(m.memberMetadata) }));
    const differ = metas.filter((m) => m.meta?.tasksDigest !== this.digest);
    if (differ.length > 0) {
      const who = differ.map((m) => (m.meta ? `${m.memberId} on ${m.meta.host} (${m.meta.taskCount} tasks)` : `${m.memberId} (not a sluice worker of version ${VERSION})`)).join(', ');
      return {
        version: VERSION, generation, moves: 0, members: metas.map((m) => ({ memberId: m.memberId, host: m.meta?.host ?? '?', tasks: [] })),
        error: `members disagree on the query's tasks: the leader ${this.memberId} on ${this.o.host} has ${this.o.tasks.length}, but ${who}. `
          + 'Every worker must run the same query over the same topics; stop the workers of the old version and start them again.',
      };
    }
    const owners = metas.map((m) => ({ memberId: m.memberId, owned: m.meta!.owned, generation: m.meta!.generation }));
    const assigned = assignTasks(owners, this.o.tasks);
    return {
      version: VERSION, generation, moves: countMoves(new Map(owners.map((o) => [o.memberId, o.owned])), assigned),
      members: metas.map(({ memberId, meta }) => ({
        memberId, host: meta!.host, tasks: assigned.get(memberId) ?? [],
        ...(meta!.uiPort !== undefined ? { uiPort: meta!.uiPort } : {}), ...(meta!.extra ? { metadata: meta!.extra } : {}),
      })).sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0)),
    };
  }

  /** Forgets the coordinator on errors that say it moved or the connection broke; throws the errors no retry can fix. */
  private retryable(e: unknown, request: string): void {
    const code = (e as { code?: unknown }).code;
    if (code === E.UNKNOWN_MEMBER_ID) { this.memberId = ''; return; }
    if (code === E.REBALANCE_IN_PROGRESS || code === E.ILLEGAL_GENERATION || code === E.COORDINATOR_LOAD_IN_PROGRESS || code === E.INVALID_REQUEST) return;
    if (code === E.NOT_COORDINATOR || code === E.COORDINATOR_NOT_AVAILABLE || isConnectionError(e)) { this.coordinator = null; return; }
    if (code === E.INCONSISTENT_GROUP_PROTOCOL) {
      throw new GroupError(`Kafka group '${this.o.groupId}' is used by members of another protocol type than '${PROTOCOL_TYPE}'${this.where()}: `
        + 'a consumer group of another program has this id. Give the query another id (a new checkpoint) or stop that program.', { cause: e });
    }
    throw new GroupError(`Kafka group '${this.o.groupId}': ${request} failed${this.where()}: ${describe(e)}.`, { cause: e });
  }

  private async findCoordinator(): Promise<KafkaGroupBroker> {
    if (this.coordinator) return this.coordinator;
    const cluster = await this.client.connectedCluster();
    this.coordinator = await cluster.findGroupCoordinator({ groupId: this.o.groupId, coordinatorType: 0 });
    return this.coordinator;
  }

  private scheduleHeartbeat(generation: number): void {
    this.timer = setTimeout(() => { void this.beat(generation); }, this.o.heartbeatIntervalMs);
    this.timer.unref();
  }

  private stopHeartbeats(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async beat(generation: number): Promise<void> {
    this.timer = null;
    const live = (): boolean => !this.stopped && !this.joining && this.current?.generation === generation;
    if (!live()) return;
    let keepBeating = true;
    try {
      const broker = await this.findCoordinator();
      await broker.heartbeat({ groupId: this.o.groupId, groupGenerationId: generation, memberId: this.memberId });
      if (live()) this.lastBeat = Date.now();
    } catch (e) {
      if (!live()) return;
      const code = (e as { code?: unknown }).code;
      // A member keeps beating through a rebalance until it rejoins: a real broker keeps its session alive meanwhile.
      if (code === E.REBALANCE_IN_PROGRESS) this.flag('rebalance-in-progress');
      else if (code === E.ILLEGAL_GENERATION) { this.flag('illegal-generation'); keepBeating = false; }
      else if (code === E.UNKNOWN_MEMBER_ID) { this.memberId = ''; this.flag('unknown-member'); keepBeating = false; }
      else this.coordinator = null; // moved, or the connection broke: find it again at the next beat
    }
    if (!live()) return;
    if (Date.now() - this.lastBeat > this.o.sessionTimeoutMs) { this.flag('session-lost'); keepBeating = false; }
    if (keepBeating) this.scheduleHeartbeat(generation);
  }

  private flag(reason: RebalanceReason): void {
    if (this.rebalance) return;
    this.rebalance = reason;
    for (const l of [...this.listeners]) {
      try { l(reason); } catch { /* a listener's failure is its own; the flag stays set for rebalanceNeeded() */ }
    }
  }

  /** Leaves the group (LeaveGroup), so the others get this member's tasks at once instead of after its session timeout. */
  async leave(): Promise<void> {
    this.stopped = true;
    this.stopHeartbeats();
    const memberId = this.memberId;
    this.current = null;
    this.memberId = '';
    if (!memberId) return;
    try {
      const broker = await this.findCoordinator();
      await broker.leaveGroup({ groupId: this.o.groupId, memberId });
    } catch {
      // Best effort: a member whose LeaveGroup does not arrive is removed when its session times out.
    }
  }

  /**
   * Stops heartbeating without leaving, as a worker killed by SIGKILL would: the coordinator
   * removes the member after its session timeout. For tests, and for a worker that must stop at
   * once (its tasks' leases fence it anyway).
   */
  abandon(): void {
    this.stopped = true;
    this.stopHeartbeats();
    this.current = null;
  }

  private where(): string {
    return this.coordinator ? ` at coordinator ${this.coordinator.nodeId} (${this.coordinator.brokerAddress})` : '';
  }
}

function parseMetadata(b: Buffer): MemberMetadata | null {
  try {
    const m = JSON.parse(b.toString('utf8')) as MemberMetadata;
    return m && m.version === VERSION && Array.isArray(m.owned) && typeof m.tasksDigest === 'string' ? m : null;
  } catch { return null; }
}

function parseTable(b: Buffer): AssignmentTable | null {
  try {
    const t = JSON.parse(b.toString('utf8')) as AssignmentTable;
    return t && t.version === VERSION && Array.isArray(t.members) ? t : null;
  } catch { return null; }
}

const digestOf = (tasks: readonly string[]): string => createHash('sha256').update(tasks.join('\n')).digest('hex').slice(0, 16);
const isConnectionError = (e: unknown): boolean => /KafkaJS(Connection|RequestTimeout|ConnectionClosed|NumberOfRetriesExceeded|GroupCoordinatorNotFound|BrokerNotFound)/.test((e as Error)?.name ?? '')
  || (e as { code?: unknown }).code === 'ECONNREFUSED';
const describe = (e: unknown): string => {
  const x = e as { type?: string; code?: unknown; message?: string } | undefined;
  return x?.type ? `${x.type} (Kafka error ${String(x.code)})` : x?.message ?? String(e);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
