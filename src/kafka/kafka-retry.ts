import { DataError, KafkaSecurityError, SourceError } from '../errors.ts';
import { notice } from '../util/notice.ts';

export interface KafkaRetryOptions {
  readonly servers: readonly string[];
  readonly retryTimeoutMs: number;
  readonly retryTimeoutExplicit: boolean;
}

/** How long a running query retries quietly before it says that it waits. */
export const NOTICE_AFTER_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
/** The innermost message: kafkajs's reason, without the wrappers' advice around it. */
const reason = (e: unknown): string => {
  let x = e as Error;
  while (x?.cause instanceof Error) x = x.cause;
  return x?.message ?? String(e);
};

/**
 * The Kafka source's retries of broker failures (leader moves, a broker down, timeouts): capped
 * backoff within fetchOffset.retryTimeoutMs per call.
 *
 * Who may wait: a source whose servers answered once in this process, or whose checkpoint says the
 * query ran before (its address was right, so an unreachable broker is an outage to wait out), or
 * whose user set fetchOffset.retryTimeoutMs (they asked for the wait). A new checkpoint without the
 * option fails fast on its first connection, beyond kafkajs's own few tries: a wrong address is a typo.
 *
 * A wait before the servers first answer in this process (a restart during an outage) is said on
 * stderr once, naming the address, the budget and the option, and again when it ends; otherwise the
 * user sees nothing for up to the whole budget. A running query's retries are said only once they
 * have lasted NOTICE_AFTER_MS: short ones are routine (a leader moving), a longer one is an outage
 * the user should see while it happens, not only when the budget runs out.
 */
export class KafkaRetry {
  private answered = false;
  /** When the announced wait began; null when none is under way. */
  private waitingSince: number | null = null;

  constructor(private readonly o: KafkaRetryOptions, private readonly resuming: boolean, private readonly reset: () => Promise<void>) {}

  private get address(): string { return this.o.servers.join(','); }

  /**
   * The source stopped: a call still under way (the trigger loop's read-ahead of the next batch,
   * runtime/prefetch.ts) fails at once instead of waiting out the budget on a closed client, which
   * would keep the process alive and print outage notices for a query that has ended.
   */
  private stopped = false;
  stop(): void { this.stopped = true; }

  async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now(), deadline = started + this.o.retryTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await fn();
        this.recovered();
        this.answered = true;
        return r;
      } catch (e) {
        const mayWait = !this.stopped && !(e instanceof DataError) && !(e instanceof KafkaSecurityError) && (this.answered || this.resuming || this.o.retryTimeoutExplicit);
        if (!mayWait) {
          if (e instanceof SourceError || e instanceof DataError) throw e;
          throw new SourceError(`Kafka ${what} failed (servers ${this.address}): ${(e as Error).message}`, { cause: e });
        }
        if (Date.now() >= deadline) throw this.gaveUp(what, e, Date.now() - started);
        if (this.waitingSince === null && (!this.answered || Date.now() - started >= NOTICE_AFTER_MS)) {
          this.waitingSince = started;
          const since = this.answered ? ` for ${secs(Date.now() - started)} while ${what}` : '';
          notice(`Kafka at ${this.address} is not answering${since} (${reason(e)}); waiting up to ${this.o.retryTimeoutMs} ms for it `
            + `(option fetchOffset.retryTimeoutMs) before the query fails.`);
        }
        await this.reset();
        await sleep(Math.min(2000, 100 * 2 ** attempt, Math.max(0, deadline - Date.now())) * (0.5 + Math.random() / 2));
      }
    }
  }

  private recovered(): void {
    if (this.waitingSince === null) return;
    notice(`Kafka at ${this.address} answered after ${secs(Date.now() - this.waitingSince)}; the query goes on.`);
    this.waitingSince = null;
  }

  private gaveUp(what: string, e: unknown, waitedMs: number): SourceError {
    this.waitingSince = null;
    return new SourceError(`Kafka at ${this.address} (option kafka.bootstrap.servers) did not answer while ${what}: sluice retried for ${secs(waitedMs)}, `
      + `the budget set by option fetchOffset.retryTimeoutMs (${this.o.retryTimeoutMs} ms), and gives up. Last error: ${reason(e)}. `
      + `Check that the brokers are running and reachable from here, or raise fetchOffset.retryTimeoutMs to wait longer.`, { cause: e });
  }
}
