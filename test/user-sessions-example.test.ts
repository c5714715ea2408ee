// examples/user-sessions.ts: run as a user runs it (a child process over the project's broker), and its
// query driven over simulated days (Date faked, timers real: the engine's processing time is Date.now())
// to show the 24-hour TTL ending sessions and removing their state, across a restart.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Session, MemoryStream, types as T, type StreamingQuery } from '../src/index.ts';
import { userSessions, DAY_MS } from '../examples/user-sessions.ts';
import { tmpDir } from './support/tmp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOUR = 3_600_000, T0 = Date.UTC(2026, 0, 1);

describe('examples/user-sessions.ts', () => {
  it('runs: every user has one open session in state at the end', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/user-sessions.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\|user_id\|\s+session_start\|\s+last_event\|events\|pages\|/);
    expect(r.stdout).toMatch(/batches; 7 open sessions in state/);
  }, 150_000);

  describe('over simulated days', () => {
    beforeEach(() => { vi.useFakeTimers({ toFake: ['Date'] }); vi.setSystemTime(T0); });
    afterEach(() => { vi.useRealTimers(); });

    it('a session lasts while its user is active and ends 24 h after the last event; its state goes then, with no new rows', async () => {
      const session = Session.builder().appName('user-sessions-test').getOrCreate();
      const schema = T.struct({ user_id: T.string, page: T.string, event_time: T.timestamp });
      const checkpoint = tmpDir('user-sessions');
      const chunks: Record<string, unknown>[][] = [];
      const out: { user_id: string; start: number; events: number }[] = [];
      let input!: MemoryStream, q!: StreamingQuery;
      const start = async () => {
        input = new MemoryStream(session, schema);
        for (const c of chunks) input.addData(c);
        q = await userSessions(input.toDF()).writeStream.outputMode('update').option('checkpointLocation', checkpoint)
          .foreachBatch((b) => { for (const r of b.collect()) out.push({ user_id: r.user_id as string, start: (r.session_start as Date).getTime() - T0, events: Number(r.events) }); })
          .start();
      };
      const at = async (ms: number, ...users: string[]) => {
        vi.setSystemTime(T0 + ms);
        if (users.length) {
          const rows = users.map((user_id) => ({ user_id, page: 'home', event_time: new Date(T0 + ms) }));
          chunks.push(rows);
          input.addData(rows);
        }
        await q.processAllAvailable();
      };
      const stateRows = () => (q.recentProgress.at(-1)!.stateOperators[0] as { numRowsTotal: number }).numRowsTotal;
      await start();
      await at(0, 'ann', 'bob');
      await at(23 * HOUR, 'ann'); // within 24 h of ann's last event: the same session, renewed
      expect(out.splice(0)).toEqual([{ user_id: 'ann', start: 0, events: 1 }, { user_id: 'bob', start: 0, events: 1 }, { user_id: 'ann', start: 0, events: 2 }]);
      await q.stop();
      await start(); // the TTL is in the checkpoint: a restart keeps it
      await at(DAY_MS - 1);
      expect(q.recentProgress, 'nothing is due yet: an idle query runs no batch').toEqual([]);
      await at(DAY_MS); // bob's session ends 24 h after his only event, with no new rows: the TTL is due, so a batch runs
      expect(stateRows()).toBe(1);
      await at(40 * HOUR, 'bob'); // a new session for bob
      await at(46 * HOUR, 'ann'); // 23 h after ann's last event: still her first session
      await at(71 * HOUR, 'ann'); // 25 h after it: a new one
      expect(out.splice(0)).toEqual([{ user_id: 'bob', start: 40 * HOUR, events: 1 }, { user_id: 'ann', start: 0, events: 3 }, { user_id: 'ann', start: 71 * HOUR, events: 1 }]);
      await at(100 * HOUR);
      expect(stateRows(), 'every session ended: nothing is left in state').toBe(0);
      expect(out).toEqual([]);
      await q.stop();
    });
  });
});
