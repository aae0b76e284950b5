/**
 * Which processes of a server hold its connections. A single-process server holds them itself; a
 * server that forks (nginx: a master that only supervises, and a worker that accepts) holds them
 * in the leaves of its process tree, so those are the ones whose memory is read.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { processRssKiB } from '../websocket/proc.js';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The command name (/proc/PID/stat's, at most 15 characters; connectionHolders gives argv[0]'s). */
  name: string;
}

/** Parses /proc/PID/stat's pid, command name and ppid (the name may hold spaces and parentheses). */
export function parseStat(stat: string): ProcessInfo {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  return { pid: Number(stat.slice(0, open).trim()), name: stat.slice(open + 1, close), ppid: Number(rest[1]) };
}

/** Every process now (those that vanish while being read are left out). */
function allProcesses(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      processes.push(parseStat(readFileSync(`/proc/${entry}/stat`, 'latin1')));
    } catch {
      // gone meanwhile
    }
  }
  return processes;
}

/** The leaves of the tree under `root` (`root` itself when it has no children), in pid order. */
export function leavesOf(root: number, processes: readonly ProcessInfo[]): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const self = processes.find((p) => p.pid === root) ?? { pid: root, ppid: 0, name: '?' };
  const leaves: ProcessInfo[] = [];
  const walk = (p: ProcessInfo) => {
    const below = children.get(p.pid) ?? [];
    if (below.length === 0) leaves.push(p);
    else below.forEach(walk);
  };
  walk(self);
  return leaves.sort((a, b) => a.pid - b.pid);
}

/** A process's own name for itself: its argv[0] without the directory ("node", or nginx's "nginx: worker process"). */
function commandName(p: ProcessInfo): string {
  try {
    const argv0 = readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').split('\0')[0] ?? '';
    return argv0.startsWith('/') ? basename(argv0) : argv0 || p.name;
  } catch {
    return p.name;
  }
}

/** The processes holding a server's connections: the leaves of its process tree, named by their argv[0]. */
export function connectionHolders(root: number): ProcessInfo[] {
  return leavesOf(root, allProcesses()).map((p) => ({ ...p, name: commandName(p) }));
}

/** Summed VmRSS of the given processes, in KiB. */
export function rssKiB(processes: readonly ProcessInfo[]): number {
  return processes.reduce((sum, p) => sum + processRssKiB(p.pid), 0);
}

/**
 * What was read, for the report: "node, the server process itself", or for nginx "nginx: worker
 * process, the leaf of its process tree (the processes above not counted)".
 */
export function describeHolders(root: number, holders: readonly ProcessInfo[]): string {
  if (holders.length === 1 && holders[0]!.pid === root) return `${holders[0]!.name}, the server process itself`;
  const names = [...new Set(holders.map((p) => p.name))].join(', ');
  const which = holders.length === 1 ? 'the leaf' : `the ${holders.length} leaves`;
  return `${names}, ${which} of its process tree (the processes above not counted)`;
}
