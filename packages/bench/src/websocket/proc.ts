/** A server process's CPU time and resident memory, read from /proc (Linux). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second, in which /proc/PID/stat counts CPU time (getconf CLK_TCK, usually 100). */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const text = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    const ticks = Number(text);
    ticksPerSecond = Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  }
  return ticksPerSecond;
}

/**
 * The CPU time (user + system) a process has used, in milliseconds: proc(5) /proc/PID/stat fields
 * 14 and 15 (utime, stime), counted after the command name, which may hold spaces and parentheses.
 */
export function processCpuMs(pid: number, ticks = clockTicks()): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are fields[11] and fields[12].
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
}

/** VmRSS of a process in KiB (proc(5) /proc/PID/status). */
export function processRssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status (is it a zombie?)`);
  return Number(match[1]);
}
