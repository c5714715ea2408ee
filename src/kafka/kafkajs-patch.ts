import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * Replaces `method` of the class that kafkajs's module `file` exports with `wrap(original)`, once
 * per process: kafkajs's modules are shared, so a mark on the prototype (`Symbol.for(mark)`) says
 * it is done. For what kafkajs's API gives no way around (frame-reader.ts, request-queue-idle.ts).
 * kafkajs is pinned at 2.2.4 in package.json: an upgrade that renamed what a wrap reads fails every
 * Kafka test at once.
 */
export function patchKafkajs<T extends object, K extends keyof T>(file: string, method: K, mark: string, wrap: (original: T[K]) => T[K]): void {
  const proto = (requireHere(`kafkajs/src/${file}`) as { prototype: T }).prototype;
  const marks = proto as Record<symbol, true | undefined>, done = Symbol.for(mark);
  if (marks[done]) return;
  proto[method] = wrap(proto[method]);
  marks[done] = true;
}
