import { GroupMember, groupIdOf } from '../../kafka/group/group-member.ts';
import type { KafkaClient } from '../../kafka/kafka-client.ts';
import type { Assignment, TaskAssignment } from './task-assignment.ts';

/** The group's timing (docs/design/scale-out.md): the session, and a heartbeat a third of it. */
export interface GroupTiming { readonly sessionTimeoutMs: number }

/**
 * Tasks from the query's Kafka consumer group `sluice-<query id>` with sluice's sticky assignor
 * (kafka/group/): a worker that dies without leaving loses its tasks when its session times out,
 * one that joins or leaves moves only the tasks the balance needs.
 */
export class GroupAssignment implements TaskAssignment {
  private readonly member: GroupMember;

  constructor(private readonly client: KafkaClient, queryId: string, tasks: readonly string[], timing: GroupTiming, uiPort?: number) {
    this.member = new GroupMember(client, {
      groupId: groupIdOf(queryId), tasks, sessionTimeoutMs: timing.sessionTimeoutMs, rebalanceTimeoutMs: timing.sessionTimeoutMs,
      heartbeatIntervalMs: Math.max(100, Math.floor(timing.sessionTimeoutMs / 10)), ...(uiPort !== undefined ? { uiPort } : {}),
    });
  }

  async join(owned: readonly string[]): Promise<Assignment> {
    const a = await this.member.join(owned);
    const members = a.members.map((m) => ({ memberId: m.memberId, host: m.host, ...(m.uiPort !== undefined ? { uiPort: m.uiPort } : {}), tasks: m.tasks, self: m.memberId === a.memberId }));
    return { generation: a.generation, tasks: a.tasks, members };
  }

  rebalanceNeeded(): boolean { return this.member.rebalanceNeeded(); }

  readonly waitsForLeases = true;

  async leave(): Promise<void> {
    try { await this.member.leave(); } finally { await this.client.close().catch(() => undefined); }
  }
}
