import { describe, expect, it } from 'vitest';
import { assignTasks, countMoves, type TaskOwner } from '../src/kafka/group/sticky-assignor.ts';

const tasks = (n: number): string[] => Array.from({ length: n }, (_, i) => `0_${i}`);
const owners = (a: Map<string, string[]>, generation?: number): TaskOwner[] =>
  [...a].map(([memberId, owned]) => ({ memberId, owned, generation }));
const sizes = (a: Map<string, string[]>): number[] => [...a.values()].map((l) => l.length);

/** Every task exactly once, and no member more than one task ahead of another. */
function expectBalanced(a: Map<string, string[]>, all: string[]): void {
  expect([...a.values()].flat().sort()).toEqual([...all].sort());
  const s = sizes(a);
  expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
}

/**
 * The fewest moves any balanced assignment can make from these owners: each member can keep at most
 * floor(T/M) of its tasks, plus one for T mod M of the members that own more than that.
 */
function fewestMoves(before: TaskOwner[], members: string[], all: string[]): number {
  const floor = Math.floor(all.length / members.length);
  const owned = members.map((m) => before.find((b) => b.memberId === m)?.owned.filter((t) => all.includes(t)).length ?? 0);
  const keep = owned.reduce((s, n) => s + Math.min(n, floor), 0) + Math.min(all.length % members.length, owned.filter((n) => n > floor).length);
  return all.length - keep;
}

describe('assignTasks', () => {
  it('spreads tasks evenly over new members, in task order', () => {
    const a = assignTasks([{ memberId: 'c', owned: [] }, { memberId: 'a', owned: [] }, { memberId: 'b', owned: [] }], tasks(8));
    expect([...a.keys()]).toEqual(['a', 'b', 'c']);
    expect(a.get('a')).toEqual(['0_0', '0_3', '0_6']);
    expect(a.get('b')).toEqual(['0_1', '0_4', '0_7']);
    expect(a.get('c')).toEqual(['0_2', '0_5']);
  });

  it('keeps every task where it is when the group did not change', () => {
    const first = assignTasks(['a', 'b', 'c'].map((memberId) => ({ memberId, owned: [] })), tasks(8));
    const again = assignTasks(owners(first), tasks(8));
    expect(again).toEqual(first);
    expect(countMoves(first, again)).toBe(0);
  });

  it('moves only the tasks a joining member needs (8 tasks, 3 members then 4)', () => {
    const three = assignTasks(['a', 'b', 'c'].map((memberId) => ({ memberId, owned: [] })), tasks(8));
    const four = assignTasks([...owners(three), { memberId: 'd', owned: [] }], tasks(8));
    expectBalanced(four, tasks(8));
    expect(sizes(four)).toEqual([2, 2, 2, 2]);
    // a and b give up one each; c keeps both of its own.
    expect(countMoves(three, four)).toBe(2);
    expect(four.get('c')).toEqual(three.get('c'));
    for (const m of ['a', 'b', 'c']) for (const t of four.get(m)!) expect(three.get(m)).toContain(t);
  });

  it('moves only the leaving member\'s tasks', () => {
    const four = assignTasks(['a', 'b', 'c', 'd'].map((memberId) => ({ memberId, owned: [] })), tasks(8));
    const three = assignTasks(owners(four).filter((o) => o.memberId !== 'b'), tasks(8));
    expectBalanced(three, tasks(8));
    expect(countMoves(four, three)).toBe(2);
    for (const m of ['a', 'c', 'd']) for (const t of four.get(m)!) expect(three.get(m)).toContain(t);
  });

  // Kafka's AbstractStickyAssignorTest.testAddRemoveConsumerOneTopic: one consumer owns p0-p2; a
  // second joins and takes one; the first leaves and the second takes all.
  it('ports Kafka\'s testAddRemoveConsumerOneTopic', () => {
    const t = tasks(3);
    const one = assignTasks([{ memberId: 'consumer1', owned: [] }], t);
    expect(one.get('consumer1')).toEqual(t);
    const two = assignTasks([...owners(one), { memberId: 'consumer2', owned: [] }], t);
    expect(two.get('consumer1')).toEqual(['0_0', '0_1']);
    expect(two.get('consumer2')).toEqual(['0_2']);
    const last = assignTasks(owners(two).filter((o) => o.memberId === 'consumer2'), t);
    expect(last.get('consumer2')).toEqual(t);
    expect(countMoves(two, last)).toBe(2);
  });

  it('balances within one task when the leftover places are scarce (10 tasks, 4 members)', () => {
    const a = assignTasks([
      { memberId: 'a', owned: tasks(10).slice(0, 5) }, { memberId: 'b', owned: tasks(10).slice(5) },
      { memberId: 'c', owned: [] }, { memberId: 'd', owned: [] },
    ], tasks(10));
    expect(sizes(a)).toEqual([3, 3, 2, 2]);
    expect(a.get('a')).toEqual(['0_0', '0_1', '0_2']);
    expect(a.get('b')).toEqual(['0_5', '0_6', '0_7']);
  });

  it('gives a task two members claim to one of them: the newer generation, then the first member id', () => {
    const t = tasks(4);
    const stale = assignTasks([
      { memberId: 'a', owned: ['0_0', '0_1'], generation: 3 },
      { memberId: 'b', owned: ['0_1', '0_2'], generation: 4 },
      { memberId: 'c', owned: ['0_2'], generation: 3 },
    ], t);
    expectBalanced(stale, t);
    expect(stale.get('b')).toContain('0_1');
    expect(stale.get('b')).toContain('0_2');
    expect(stale.get('a')).toContain('0_0');
    const tie = assignTasks([{ memberId: 'b', owned: ['0_0'] }, { memberId: 'a', owned: ['0_0'] }], tasks(2));
    expect(tie.get('a')).toEqual(['0_0']);
    expect(tie.get('b')).toEqual(['0_1']);
  });

  it('drops owned tasks that are not in the task list', () => {
    const a = assignTasks([{ memberId: 'a', owned: ['9_9', '0_1'] }, { memberId: 'b', owned: [] }], tasks(2));
    expect(a.get('a')).toEqual(['0_1']);
    expect(a.get('b')).toEqual(['0_0']);
  });

  it('is deterministic: the order of the members given does not matter', () => {
    const input: TaskOwner[] = [
      { memberId: 'm3', owned: ['0_4', '0_5', '0_6'] }, { memberId: 'm1', owned: ['0_0'] },
      { memberId: 'm2', owned: ['0_1', '0_2', '0_3', '0_7'] }, { memberId: 'm4', owned: [] },
    ];
    const a = assignTasks(input, tasks(9));
    expect(assignTasks([...input].reverse(), tasks(9))).toEqual(a);
    expect(assignTasks([input[2]!, input[0]!, input[3]!, input[1]!], tasks(9))).toEqual(a);
  });

  it('makes the fewest moves a balanced assignment allows, over random groups', () => {
    let seed = 7;
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    for (let round = 0; round < 300; round++) {
      const all = tasks(1 + rand(24));
      const members = Array.from({ length: 1 + rand(6) }, (_, i) => `m${i}`);
      // Owners from some earlier balanced assignment, then members join and leave.
      const earlier = assignTasks(Array.from({ length: 1 + rand(6) }, (_, i) => ({ memberId: `m${i + rand(3)}`, owned: [] })), all);
      const before = owners(earlier).filter((o) => members.includes(o.memberId));
      const present = [...before, ...members.filter((m) => !before.some((b) => b.memberId === m)).map((memberId) => ({ memberId, owned: [] }))];
      const after = assignTasks(present, all);
      expectBalanced(after, all);
      expect(countMoves(new Map(before.map((b) => [b.memberId, [...b.owned]])), after)).toBe(fewestMoves(before, members, all));
    }
  });

  it('gives an empty group nothing and a group without tasks empty lists', () => {
    expect(assignTasks([], tasks(3)).size).toBe(0);
    expect(assignTasks([{ memberId: 'a', owned: ['0_0'] }], [])).toEqual(new Map([['a', []]]));
  });
});
