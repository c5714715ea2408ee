import { fileURLToPath } from 'node:url';
import { startBroker, produce } from '../../test/support/broker.ts';

/**
 * Run an example against the project's own broker (or KAFKA_BOOTSTRAP_SERVERS): create
 * `topic`, produce `n` JSON events made by `make(i)`, run `body`, stop the broker.
 */
export async function withExampleBroker(topic: string, make: (i: number) => Record<string, unknown>, n: number,
  body: (bootstrap: string) => Promise<void>): Promise<void> {
  process.chdir(fileURLToPath(new URL('../..', import.meta.url)));
  const broker = await startBroker();
  try {
    await broker.createTopic(topic, 4);
    await produce(broker.bootstrap, topic, Array.from({ length: n }, (_, i) => ({ key: String(make(i).user_id ?? i), value: JSON.stringify(make(i)) })));
    await body(broker.bootstrap);
  } finally {
    await broker.stop();
  }
}
