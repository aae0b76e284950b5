import type { ClusterStats } from '@percore/server';

/** Turns successive cluster stats into one line a second: rate, totals, and the per-worker balance. */
export class StatsPrinter {
  private lastRequests: number | null = null;
  private lastAt = 0;

  constructor(private readonly write: (line: string) => void) {}

  print(stats: ClusterStats, now = Date.now()): void {
    const elapsed = (now - this.lastAt) / 1000;
    const rate = this.lastRequests === null || elapsed <= 0 ? 0 : Math.max(0, stats.requests - this.lastRequests) / elapsed;
    this.lastRequests = stats.requests;
    this.lastAt = now;
    this.write(formatStats(stats, rate));
  }
}

export function formatStats(stats: ClusterStats, rate: number): string {
  const perWorker = [...stats.workers]
    .sort((a, b) => a.pid - b.pid)
    .map((worker) => `${worker.pid}: ${worker.requests} req/${worker.listener.accepted} conn`)
    .join(', ');
  return (
    `${Math.round(rate)} req/s | ${stats.requests} requests | ${stats.connections} open, ${stats.accepted} accepted connections | ` +
    `workers [${perWorker}] | restarts ${stats.restarts}`
  );
}
