/** Window start(s) of an event time, Spark's rule: start <= t < start + size, starts aligned to the epoch. */
export function tumblingStart(t: number, size: number): number {
  return t - (((t % size) + size) % size);
}

/** Every sliding window [start, start + size) that holds `t`, newest first. */
export function slidingStarts(t: number, size: number, slide: number, out: number[]): void {
  out.length = 0;
  for (let s = tumblingStart(t, slide); s > t - size; s -= slide) out.push(s);
}
