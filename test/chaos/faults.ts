// The chaos harness's fault scheduler. Two lanes run side by side, each one fault at a time:
//   process lane: SIGKILL a query and restart it; start a second copy of a query on its checkpoint;
//   infra lane:   broker down/up, broker answering with errors, broker slow (rtt); S3 answering
//                 500/503, resetting connections (before or after applying the request), stalling;
//                 a stretch of hostile records from the producer.
// Every choice (kind, target, duration, counts) comes from the seeded PRNG; the first faults of
// each lane go through all of its kinds, so even a short run has every kind.
import type { TestBroker } from '../support/broker.ts';
import type { FaultProxy, FaultRule } from '../support/s3-fault-proxy.ts';
import type { OrderGen } from './producer.ts';
import { pick, randInt, type Rng } from '../support/prng.ts';
import type { Progress, SupervisedQuery } from './supervisor.ts';
import type { WorkerPool } from './pool.ts';

export const PROCESS_KINDS = ['kill', 'second-copy'] as const;
export const INFRA_KINDS = ['broker-down', 'broker-errors', 'broker-slow', 's3-error', 's3-reset', 's3-stall', 'hostile-input'] as const;
/**
 * Scale-out mode (--workers N, pool.ts): SIGKILL a worker (restarted after a pause, or not), start
 * one more (a rebalance), stop one gracefully (it leaves the group); and the broker down past the
 * group's session timeout ('broker-outage': every member's session expires).
 */
export const WORKER_KINDS = ['worker-kill', 'worker-add', 'worker-leave'] as const;
export const SCALE_OUT_INFRA_KINDS = ['broker-down', 'broker-outage', 'broker-errors', 'broker-slow', 'hostile-input'] as const;
export type FaultKind = (typeof PROCESS_KINDS)[number] | (typeof INFRA_KINDS)[number] | (typeof WORKER_KINDS)[number] | (typeof SCALE_OUT_INFRA_KINDS)[number];

export interface FaultRecord {
  kind: FaultKind;
  detail: string;
  startedAt: number;
  endedAt: number;
  /** Queries whose next batch after endedAt counts as their recovery. */
  affects: string[];
  /** ms from endedAt to each affected query's next completed batch. */
  recoveryMs: Record<string, number>;
}

export interface FaultEnv {
  rng: Rng;
  broker: TestBroker;
  /** The S3 fault proxy; none in scale-out mode (its queries are on local disk). */
  proxy?: FaultProxy;
  gen: OrderGen;
  queries: SupervisedQuery[];
  /** Scale-out mode: the queries as worker pools (then `queries` is empty and there is no S3 query). */
  pools?: WorkerPool[];
  /** Scale-out mode: the group's session timeout. */
  sessionTimeoutMs?: number;
  s3Query?: SupervisedQuery;
  say: (s: string) => void;
}

/** Kafka API keys the faults hit: Produce, Fetch, ListOffsets, Metadata. */
const API_KEYS = [0, 1, 2, 3] as const;
/** Kafka error codes the brokers answer with: retriable ones a client sees when leaders move or brokers struggle. */
const KAFKA_ERRORS = ['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'REQUEST_TIMED_OUT', 'BROKER_NOT_AVAILABLE', 'NOT_ENOUGH_REPLICAS', 'UNKNOWN_TOPIC_OR_PART'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class FaultScheduler {
  readonly faults: FaultRecord[] = [];
  readonly secondCopyOutcomes: Record<string, number> = {};
  /** worker-leave faults whose worker did not exit 0 within 30 s of SIGTERM. */
  uncleanLeaves = 0;
  private stopped = false;

  constructor(private readonly env: FaultEnv) {}

  stop(): void { this.stopped = true; }

  /**
   * The summary's fault figures: faults per kind (every kind of `kinds` listed, 0 when it never
   * ran), the longest recovery overall and per kind, and the affected queries that never recovered.
   */
  tally(kinds: readonly FaultKind[]): { faultsByKind: Record<string, number>; recoveryByKind: Record<string, number>; maxRecovery: number; unrecovered: number } {
    const faultsByKind: Record<string, number> = {};
    for (const k of kinds) faultsByKind[k] = 0;
    const recoveryByKind: Record<string, number> = {};
    let maxRecovery = 0, unrecovered = 0;
    for (const f of this.faults) {
      faultsByKind[f.kind] = (faultsByKind[f.kind] ?? 0) + 1;
      for (const q of f.affects) {
        const ms = f.recoveryMs[q];
        if (ms === undefined) { unrecovered++; continue; }
        maxRecovery = Math.max(maxRecovery, ms);
        recoveryByKind[f.kind] = Math.max(recoveryByKind[f.kind] ?? 0, ms);
      }
    }
    return { faultsByKind, recoveryByKind, maxRecovery, unrecovered };
  }

  /** Both lanes until `until` (ms since the epoch) or stop(). */
  async run(until: number): Promise<void> {
    if (this.env.pools) {
      await Promise.all([this.lane([...WORKER_KINDS], until, [0.4, 0.3, 0.3]), this.lane([...SCALE_OUT_INFRA_KINDS], until, [0.2, 0.15, 0.25, 0.2, 0.2])]);
      return;
    }
    await Promise.all([this.lane([...PROCESS_KINDS], until, [0.75, 0.25]), this.lane([...INFRA_KINDS], until, [0.17, 0.17, 0.14, 0.16, 0.14, 0.1, 0.12])]);
  }

  private async lane(kinds: FaultKind[], until: number, weights: number[]): Promise<void> {
    const { rng } = this.env;
    const first = [...kinds].sort(() => rng() - 0.5);
    while (!this.stopped && Date.now() < until) {
      let kind = first.shift();
      if (kind === undefined) {
        let x = rng() * weights.reduce((a, b) => a + b, 0);
        kind = kinds[kinds.length - 1]!;
        for (let i = 0; i < kinds.length; i++) { x -= weights[i]!; if (x < 0) { kind = kinds[i]!; break; } }
      }
      const rec = await this.inject(kind);
      this.faults.push(rec);
      await this.awaitRecovery(rec, 90_000);
      await sleep(randInt(rng, 200, 1500));
    }
  }

  /** Waits until every affected query completed a batch after the fault ended (or the timeout). */
  private async awaitRecovery(rec: FaultRecord, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(rec.affects);
    const queries: { name: string; progress: readonly Progress[] }[] = [...this.env.queries, ...(this.env.pools ?? [])];
    while (pending.size && Date.now() < deadline && !this.stopped) {
      for (const q of queries) {
        if (!pending.has(q.name)) continue;
        const next = q.progress.find((p) => p.at > rec.endedAt);
        if (next) { rec.recoveryMs[q.name] = next.at - rec.endedAt; pending.delete(q.name); }
      }
      if (pending.size) await sleep(100);
    }
  }

  private async inject(kind: FaultKind): Promise<FaultRecord> {
    const { rng, broker, proxy, queries, say } = this.env;
    const startedAt = Date.now();
    const all = [...queries, ...(this.env.pools ?? [])].map((q) => q.name);
    let detail = '';
    let affects = all;
    const cmd = async (line: string): Promise<void> => {
      const answer = await broker.command(line);
      if (answer !== 'ok') say(`broker command '${line}': ${answer}`);
    };
    switch (kind) {
      case 'kill': {
        const q = pick(rng, queries);
        await sleep(randInt(rng, 0, 1500)); // a random moment
        const pause = randInt(rng, 0, 3000);
        detail = `${q.name} pid ${q.pid}, restart after ${pause} ms`;
        affects = [q.name];
        await q.kill(pause);
        break;
      }
      case 'second-copy': {
        const q = pick(rng, queries);
        affects = [q.name];
        const outcome = await q.secondCopy(45_000);
        this.secondCopyOutcomes[outcome] = (this.secondCopyOutcomes[outcome] ?? 0) + 1;
        detail = `${q.name}: ${outcome}`;
        break;
      }
      case 'worker-kill':
      case 'worker-add':
      case 'worker-leave': {
        const pool = pick(rng, this.env.pools!);
        affects = [pool.name];
        // At the pool's bounds a fault that would pass them becomes its opposite, so the pool stays in [min, max].
        let k: FaultKind = kind;
        if (k === 'worker-add' && pool.size >= pool.maxWorkers) k = 'worker-leave';
        if (k === 'worker-leave' && pool.size <= pool.minWorkers) k = 'worker-add';
        if (k === 'worker-add') {
          detail = `${pool.name}: ${pool.add().name} started (${pool.size} workers)`;
        } else if (k === 'worker-leave') {
          const { worker, clean } = await pool.leave(rng);
          detail = `${pool.name}: ${worker} stopped ${clean ? 'gracefully' : 'NOT cleanly (SIGKILLed after 30 s or exit code != 0)'} (${pool.size} workers)`;
          if (!clean) this.uncleanLeaves++;
        } else {
          await sleep(randInt(rng, 0, 1500)); // a random moment
          const pause = pool.size > pool.minWorkers && rng() < 0.35 ? null : randInt(rng, 0, 3000);
          const who = await pool.kill(rng, pause);
          detail = `${pool.name}: ${who} SIGKILLed, ${pause === null ? 'not restarted' : `restarted after ${pause} ms`} (${pool.size} workers)`;
        }
        const endedAt = Date.now();
        say(`fault ${k}: ${detail} (${endedAt - startedAt} ms)`);
        return { kind: k, detail, startedAt, endedAt, affects, recoveryMs: {} };
      }
      case 'broker-outage': {
        const session = this.env.sessionTimeoutMs!;
        const ms = session + randInt(rng, 1000, session * 2);
        detail = `down ${ms} ms (session timeout ${session} ms)`;
        await cmd('down 1');
        await sleep(ms);
        await cmd('up 1');
        break;
      }
      case 'broker-down': {
        const ms = randInt(rng, 500, rng() < 0.15 ? 15_000 : 6_000);
        detail = `down ${ms} ms`;
        await cmd('down 1');
        await sleep(ms);
        await cmd('up 1');
        break;
      }
      case 'broker-errors': {
        const api = pick(rng, API_KEYS), count = randInt(rng, 1, 40), code = pick(rng, KAFKA_ERRORS);
        detail = `api ${api}: ${count} x ${code}`;
        await cmd(`errors ${api} ${count} ${code}`);
        await sleep(randInt(rng, 1000, 5000));
        await cmd(`clear ${api}`);
        break;
      }
      case 'broker-slow': {
        const rtt = randInt(rng, 50, rng() < 0.2 ? 6000 : 2000), ms = randInt(rng, 1000, 8000);
        detail = `rtt ${rtt} ms for ${ms} ms`;
        await cmd(`rtt 1 ${rtt}`);
        await sleep(ms);
        await cmd('rtt 1 0');
        break;
      }
      case 's3-error':
      case 's3-reset':
      case 's3-stall': {
        affects = [this.env.s3Query!.name];
        const fault: FaultRule['fault'] = kind === 's3-error' ? pick(rng, ['500', '503'] as const)
          : kind === 's3-reset' ? pick(rng, ['reset', 'lostReply'] as const) : 'stall';
        const method = rng() < 0.5 ? pick(rng, ['PUT', 'GET', 'HEAD', 'DELETE']) : undefined;
        const rule: FaultRule = { fault, ...(method ? { method } : {}) };
        if (kind === 's3-stall' || rng() < 0.5) {
          const times = randInt(rng, 1, kind === 's3-stall' ? 3 : 8), skip = randInt(rng, 0, 20);
          detail = `${fault}${method ? ` ${method}` : ''}: ${times} requests after ${skip}`;
          const active = proxy!.add({ ...rule, times, skip });
          const deadline = Date.now() + 15_000;
          while (active.hits < times && Date.now() < deadline) await sleep(100);
          proxy!.clear();
        } else {
          const ms = randInt(rng, 500, rng() < 0.15 ? 14_000 : 5_000);
          detail = `${fault}${method ? ` ${method}` : ''}: every request for ${ms} ms`;
          proxy!.add(rule);
          await sleep(ms);
          proxy!.clear();
        }
        break;
      }
      case 'hostile-input': {
        const ms = randInt(rng, 2000, 10_000);
        detail = `${ms} ms of hostile records`;
        this.env.gen.hostileUntil = Date.now() + ms;
        await sleep(ms);
        break;
      }
    }
    const endedAt = Date.now();
    say(`fault ${kind}: ${detail} (${endedAt - startedAt} ms)`);
    return { kind, detail, startedAt, endedAt, affects, recoveryMs: {} };
  }

  /** Undo anything a fault may still hold (drain phase). */
  async clearAll(): Promise<void> {
    this.stop();
    this.env.proxy?.clear();
    for (const line of ['up 1', 'rtt 1 0', ...API_KEYS.map((k) => `clear ${k}`)]) await this.env.broker.command(line).catch(() => undefined);
    this.env.gen.hostileUntil = 0;
  }
}
