// Runs the front by hand: `tsx tools/kafka-front/main.ts --help`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startKafkaFront } from './front.ts';
import { transactions } from './transactions.ts';
import { SASL_MECHANISMS, type SaslMechanism } from './sasl.ts';

const USAGE = `usage: tsx tools/kafka-front/main.ts --bootstrap HOST:PORT [options]
  --bootstrap HOST:PORT   the mock cluster (e.g. the first line .build/mock_kafka prints)
  --host ADDR             address to listen on and advertise (default 127.0.0.1)
  --tls-cert FILE --tls-key FILE   PEM certificate and key: speak TLS
  --sasl MECH[,MECH]      enable SASL: ${SASL_MECHANISMS.join(', ')}
  --user NAME:PASSWORD    a SASL user (repeat)
  --no-transactions       forward transactions to the mock as they are (no markers, LSO = high watermark)
  --verbose               print why connections close
Prints the front's bootstrap list on stdout, then runs until killed.`;

const { values } = parseArgs({
  options: {
    bootstrap: { type: 'string' }, host: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' },
    sasl: { type: 'string' }, user: { type: 'string', multiple: true }, verbose: { type: 'boolean' }, 'no-transactions': { type: 'boolean' }, help: { type: 'boolean' },
  },
});
if (values.help || !values.bootstrap) {
  process.stderr.write(USAGE + '\n');
  process.exit(values.help ? 0 : 2);
}
if (!!values['tls-cert'] !== !!values['tls-key']) {
  process.stderr.write('--tls-cert and --tls-key go together\n');
  process.exit(2);
}
const users: Record<string, string> = {};
for (const u of values.user ?? []) {
  const colon = u.indexOf(':');
  if (colon <= 0) { process.stderr.write(`--user ${u}: expected NAME:PASSWORD\n`); process.exit(2); }
  users[u.slice(0, colon)] = u.slice(colon + 1);
}
const front = await startKafkaFront({
  bootstrap: values.bootstrap,
  host: values.host,
  tls: values['tls-cert'] ? { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']!) } : undefined,
  sasl: values.sasl ? { mechanisms: values.sasl.split(',') as SaslMechanism[], users } : undefined,
  hooks: values['no-transactions'] ? [] : [transactions],
  log: values.verbose ? (line) => process.stderr.write(line + '\n') : undefined,
}).catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
process.stdout.write(front.bootstrap + '\n');
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void front.stop().then(() => process.exit(0)));
