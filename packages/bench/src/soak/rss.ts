import { readFileSync } from 'node:fs';

/** A process's resident set size in bytes (VmRSS in /proc/<pid>/status), or null if it is gone. */
export function readRss(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

/** One worker's RSS over the run: at the end of the warm-up, the most after it, and the last sample. */
export interface RssSeries {
  pid: number;
  /** Bytes at the first sample after the warm-up (null while warming up). */
  start: number | null;
  max: number;
  end: number;
  samples: number;
}

/**
 * The most a worker's RSS may reach by the end: its post-warm-up RSS plus the larger of 50% and
 * 64 MiB. Generous on purpose: V8's heap and malloc's arenas keep growing toward a plateau for
 * minutes under load (tens of MiB, by GC timing), so a tight bound would flake; a real leak at
 * the soak's rates (millions of requests, over 100,000 connections in 10 minutes) passes 64 MiB
 * at a few tens of bytes per request or a few hundred per connection.
 */
export function rssLimit(start: number): number {
  return start + Math.max(start * 0.5, 64 * 1024 * 1024);
}

export const MiB = 1024 * 1024;

export function mib(bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / MiB).toFixed(1)}`;
}

/** Samples each worker's RSS; samples taken before warmedUp() count toward nothing but the current figure. */
export class RssSampler {
  readonly series = new Map<number, RssSeries>();
  private warm = false;

  constructor(pids: number[]) {
    for (const pid of pids) this.series.set(pid, { pid, start: null, max: 0, end: 0, samples: 0 });
  }

  warmedUp(): void {
    this.warm = true;
  }

  /** Takes one sample of each worker; returns the pids that could not be read (gone). */
  sample(): number[] {
    const gone: number[] = [];
    for (const entry of this.series.values()) {
      const rss = readRss(entry.pid);
      if (rss === null) {
        gone.push(entry.pid);
        continue;
      }
      entry.end = rss;
      if (this.warm) {
        entry.start ??= rss;
        entry.max = Math.max(entry.max, rss);
        entry.samples++;
      }
    }
    return gone;
  }
}
