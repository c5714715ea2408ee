import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds the test broker (.build/mock_kafka, a child of this process) has used so far, from
 * /proc (Linux): a client's run taken as the difference of two readings shows how much of the
 * machine's cores the broker took while serving it. Null where /proc has no such process.
 */
export function brokerCpuSeconds(): number | null {
  let ticks: number | null = null;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
    // pid (comm) state ppid ... utime stime: fields 14 and 15, counted after the ')' that ends comm
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'mock_kafka') continue;
    const f = stat.slice(close + 2).split(' ');
    if (Number(f[1]) !== process.pid) continue;
    ticks = (ticks ?? 0) + Number(f[11]) + Number(f[12]);
  }
  return ticks === null ? null : ticks / 100; // USER_HZ is 100 on Linux (ticks, so two decimals)
}
