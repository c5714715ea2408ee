import { OptionError } from '../../errors.ts';
import { type KafkaSecurity, kafkaSecurityOptionNames, parseKafkaSecurity } from '../../kafka/security/kafka-security.ts';

/** The Kafka source's options, parsed and checked once (Spark's names and defaults). */
export interface KafkaOptions {
  readonly servers: string[];
  readonly subscribe?: string[];
  readonly subscribePattern?: RegExp;
  readonly assign?: Record<string, number[]>;
  /** 'earliest' | 'latest' | per-partition offsets (-2 earliest, -1 latest). */
  readonly startingOffsets: 'earliest' | 'latest' | Record<string, Record<string, number>>;
  readonly maxOffsetsPerTrigger?: number;
  readonly failOnDataLoss: boolean;
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** How long to keep retrying a failing broker before the query fails. */
  readonly retryTimeoutMs: number;
  /**
   * fetchOffset.retryTimeoutMs was given: the user expects the wait, so it applies to a new
   * checkpoint's first connection too (without it, that one fails fast: a wrong address is a typo).
   */
  readonly retryTimeoutExplicit: boolean;
  /** Spark's includeHeaders: add the `headers` column. */
  readonly includeHeaders: boolean;
  /** kafka.security.protocol, kafka.sasl.*, kafka.ssl.* */
  readonly security: KafkaSecurity;
}

export const kafkaOptionNames = [
  'kafka.bootstrap.servers', 'subscribe', 'subscribePattern', 'assign', 'startingOffsets', 'maxOffsetsPerTrigger',
  'failOnDataLoss', 'kafka.client.id', 'kafka.request.timeout.ms', 'kafka.connection.timeout.ms', 'fetchOffset.retryTimeoutMs',
  'includeHeaders',
  ...kafkaSecurityOptionNames,
] as const;

function json<T>(name: string, text: string, example: string): T {
  try { return JSON.parse(text) as T; } catch {
    throw new OptionError(`Kafka option '${name}' is not valid JSON: ${text}. Example: ${example}`);
  }
}

function positiveInt(name: string, v: string | undefined, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new OptionError(`Kafka option '${name}' must be a positive whole number, got '${v}'.`);
  return n;
}

export function parseKafkaOptions(o: ReadonlyMap<string, string>): KafkaOptions {
  const servers = o.get('kafka.bootstrap.servers');
  if (!servers) throw new OptionError(`The kafka source needs option 'kafka.bootstrap.servers' (e.g. .option('kafka.bootstrap.servers', 'localhost:9092')).`);
  const given = ['subscribe', 'subscribePattern', 'assign'].filter((k) => o.has(k));
  if (given.length !== 1) {
    throw new OptionError(`The kafka source needs exactly one of 'subscribe', 'subscribePattern' or 'assign'${given.length ? `; got ${given.join(' and ')}` : ''}.`);
  }
  let subscribe: string[] | undefined, subscribePattern: RegExp | undefined, assign: Record<string, number[]> | undefined;
  if (o.has('subscribe')) {
    subscribe = o.get('subscribe')!.split(',').map((s) => s.trim()).filter(Boolean);
    if (!subscribe.length) throw new OptionError(`Kafka option 'subscribe' names no topic; give a comma-separated list like 'orders,payments'.`);
  } else if (o.has('subscribePattern')) {
    try { subscribePattern = new RegExp(`^(?:${o.get('subscribePattern')!})$`); } catch (e) {
      throw new OptionError(`Kafka option 'subscribePattern' is not a valid regular expression: ${(e as Error).message}.`);
    }
  } else {
    assign = json<Record<string, number[]>>('assign', o.get('assign')!, `{"orders":[0,1]}`);
    if (typeof assign !== 'object' || assign === null || Object.values(assign).some((v) => !Array.isArray(v) || v.some((p) => !Number.isInteger(p)))) {
      throw new OptionError(`Kafka option 'assign' must map topics to partition lists, like {"orders":[0,1]}; got ${o.get('assign')}.`);
    }
  }
  const so = o.get('startingOffsets') ?? 'latest';
  let startingOffsets: KafkaOptions['startingOffsets'];
  if (so === 'earliest' || so === 'latest') startingOffsets = so;
  else if (so.trim().startsWith('{')) startingOffsets = json('startingOffsets', so, `{"orders":{"0":23,"1":-2}} (-2 = earliest, -1 = latest)`);
  else throw new OptionError(`Kafka option 'startingOffsets' must be 'earliest', 'latest' or JSON like {"orders":{"0":23,"1":-2}}; got '${so}'.`);
  const flag = (name: string, dflt: string): boolean => {
    const v = (o.get(name) ?? dflt).trim().toLowerCase();
    if (v !== 'true' && v !== 'false') throw new OptionError(`Kafka option '${name}' must be true or false, got '${o.get(name)}'.`);
    return v === 'true';
  };
  const serverList = servers.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    servers: serverList,
    security: parseKafkaSecurity(o, serverList),
    subscribe, subscribePattern, assign, startingOffsets,
    maxOffsetsPerTrigger: positiveInt('maxOffsetsPerTrigger', o.get('maxOffsetsPerTrigger')),
    failOnDataLoss: flag('failOnDataLoss', 'true'),
    includeHeaders: flag('includeHeaders', 'false'),
    clientId: o.get('kafka.client.id') ?? 'sluice',
    requestTimeoutMs: positiveInt('kafka.request.timeout.ms', o.get('kafka.request.timeout.ms'), 30000)!,
    connectTimeoutMs: positiveInt('kafka.connection.timeout.ms', o.get('kafka.connection.timeout.ms'), 3000)!,
    retryTimeoutMs: positiveInt('fetchOffset.retryTimeoutMs', o.get('fetchOffset.retryTimeoutMs'), 30000)!,
    retryTimeoutExplicit: o.has('fetchOffset.retryTimeoutMs'),
  };
}
