/**
 * What tools/kafka-front costs a consumer: kcat reads the same topic (2-broker mock, 4 partitions,
 * 100 B records) straight from the mock (the same-run baseline), through a plaintext front, and
 * through a SASL_SSL (SCRAM-SHA-512) front; median of --rounds wall times per path.
 *
 *   npx tsx bench/kafka-front.ts [--records 200000] [--rounds 3]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { produce, startBroker } from '../test/support/broker.ts';
import { startFront } from '../test/support/kafka-front.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' } } });
const N = Number(values.records);
const ROUNDS = Number(values.rounds);

const broker = await startBroker({ brokers: 2, topics: { bench: 4 } });
await produce(broker.bootstrap, 'bench', Array.from({ length: N }, (_, i) => ({ value: `value-${i}-`.padEnd(100, 'x'), partition: i % 4 })));
const plain = await startFront({ broker });
const secure = await startFront({ broker, tls: true, sasl: { mechanisms: ['SCRAM-SHA-512'], users: { bench: 'bench' } } });

/** ms for kcat to read the whole topic; fails unless it read every record. */
function consume(bootstrap: string, extra: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('kcat', ['-C', '-b', bootstrap, '-t', 'bench', '-o', 'beginning', '-e', '-q', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    let lines = 0;
    child.stdout.on('data', (d: Buffer) => { for (const b of d) if (b === 10) lines++; });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 && lines === N ? resolve(performance.now() - t0) : reject(new Error(`kcat exited ${code} after ${lines} of ${N} records`))));
  });
}

const saslSsl = ['security.protocol=SASL_SSL', 'sasl.mechanisms=SCRAM-SHA-512', 'sasl.username=bench', 'sasl.password=bench', `ssl.ca.location=${secure.caFile}`]
  .flatMap((kv) => ['-X', kv]);
const paths: [string, () => Promise<number>][] = [
  ['direct', () => consume(broker.bootstrap, [])],
  ['front_plaintext', () => consume(plain.bootstrap, [])],
  ['front_sasl_ssl', () => consume(secure.bootstrap, saslSsl)],
];
const runs: Record<string, number[]> = {};
try {
  for (let r = 0; r < ROUNDS; r++) for (const [name, run] of paths) (runs[name] ??= []).push(Math.round(await run()));
} finally {
  await plain.stop();
  await secure.stop();
  await broker.stop();
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const med = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
console.log(JSON.stringify({
  bench: 'kafka-front', records: N, recordBytes: 100, rounds: ROUNDS, medianMs: med,
  vsDirect: { front_plaintext: +(med.front_plaintext! / med.direct!).toFixed(2), front_sasl_ssl: +(med.front_sasl_ssl! / med.direct!).toFixed(2) }, runsMs: runs,
}));
