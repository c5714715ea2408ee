import { readFileSync } from 'node:fs';

const TICK = 100; // USER_HZ on Linux

/** The fields of /proc/<pid>/stat after the ')' that ends the command name (field 3 onwards). */
function statFields(pid: number | 'self'): string[] {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds of a live process (Linux). */
export function pidCpuSecs(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / TICK; // fields 14 and 15: utime, stime
}

/** CPU seconds of this process's reaped children so far (Linux). */
export function childCpuSecs(): number {
  const f = statFields('self');
  return (Number(f[13]) + Number(f[14])) / TICK; // fields 16 and 17: cutime, cstime
}
