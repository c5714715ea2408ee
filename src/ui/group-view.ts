import type { GroupOwner, StreamingQueryProgress, WorkerTasks } from '../runtime/progress.ts';

/** Rebalances kept per worker, newest last. */
const RING = 50;

/** One change of the worker's assignment, as its progress showed it. */
export interface Rebalance {
  /** When the first batch of the new generation reported (ISO-8601): the worker only speaks through its batches. */
  readonly at: string;
  readonly generation: number;
  readonly gained: readonly string[];
  readonly lost: readonly string[];
}

export interface GroupSummary {
  readonly generation: number;
  readonly owned: WorkerTasks['owned'];
  /** Every member of the generation and its tasks, as the group's SyncGroup table gave them (empty for a fixed split). */
  readonly members: readonly GroupOwner[];
  readonly rebalances: readonly Rebalance[];
}

/**
 * A scale-out worker's group view (docs/design/scale-out.md, Operations): its generation, the
 * tasks it owns with their last batch and lag, and the rebalances it has seen. Fed by the
 * worker's progress records (their `tasks`); a query that is not a worker never has one.
 */
export class GroupView {
  private generation: number | null = null;
  private owned: WorkerTasks['owned'] = [];
  private members: readonly GroupOwner[] = [];
  private readonly rebalances: Rebalance[] = [];

  get seen(): boolean { return this.generation !== null; }

  progress(p: StreamingQueryProgress): void {
    const t = p.tasks;
    if (!t) return;
    if (t.generation !== this.generation) {
      const before = new Set(this.owned.map((o) => o.task)), now = new Set(t.owned.map((o) => o.task));
      this.rebalances.push({
        at: p.timestamp, generation: t.generation,
        gained: [...now].filter((x) => !before.has(x)), lost: [...before].filter((x) => !now.has(x)),
      });
      if (this.rebalances.length > RING) this.rebalances.shift();
      this.generation = t.generation;
    }
    this.owned = t.owned;
    this.members = t.members ?? [];
  }

  summary(): GroupSummary {
    return { generation: this.generation ?? 0, owned: this.owned, members: this.members, rebalances: [...this.rebalances] };
  }
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const cell = (v: unknown): string => `<td>${v === null || v === undefined ? '–' : esc(String(v))}</td>`;

/** The group view as a page of its own (/group): plain tables, no script, so it reads in any browser or with curl. */
export function renderGroupPage(workers: readonly { name: string | null; id: string; group: GroupSummary }[]): string {
  const body = workers.length === 0 ? '<p>No scale-out worker runs on this UI (writer option sluice.scaleOut).</p>' : workers.map(({ name, id, group }) => `
<h2>${esc(name ?? id)} — generation ${group.generation}</h2>
<table><tr><th>task</th><th>batch</th><th>offsets behind</th></tr>
${group.owned.map((o) => `<tr>${cell(o.task)}${cell(o.batchId)}${cell(o.offsetsBehind)}</tr>`).join('\n')}
</table>
<h3>Owners</h3>
<table><tr><th>member</th><th>host</th><th>UI port</th><th>tasks</th></tr>
${group.members.map((m) => `<tr>${cell(m.memberId + (m.self ? ' (this worker)' : ''))}${cell(m.host)}${cell(m.uiPort)}${cell(m.tasks.join(' '))}</tr>`).join('\n')}
</table>
<h3>Rebalances</h3>
<table><tr><th>time</th><th>generation</th><th>gained</th><th>lost</th></tr>
${group.rebalances.map((r) => `<tr>${cell(r.at)}${cell(r.generation)}${cell(r.gained.join(' '))}${cell(r.lost.join(' '))}</tr>`).join('\n')}
</table>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>sluice group view</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}</style>
</head><body><h1>Group view</h1><p><a href="/">queries</a> · <a href="/api/group">JSON</a></p>${body}</body></html>\n`;
}
