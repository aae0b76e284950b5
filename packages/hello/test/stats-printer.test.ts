import { expect } from 'chai';
import type { ClusterStats, WorkerStats } from '@percore/server';
import { formatStats, StatsPrinter } from '../src/stats-printer.js';

function worker(pid: number, requests: number, accepted: number): WorkerStats {
  return {
    pid,
    requests,
    listener: { connections: 1, accepted, refused: 0 },
    scheduler: {
      liveTasks: 1,
      peakTasks: 1,
      openedTasks: accepted,
      closedTasks: 0,
      taskErrors: 0,
      bytesIn: 0,
      bytesOut: 0,
      pendingTimers: 0,
    },
  };
}

function stats(workers: WorkerStats[]): ClusterStats {
  return {
    workers,
    requests: workers.reduce((sum, w) => sum + w.requests, 0),
    connections: workers.length,
    accepted: workers.reduce((sum, w) => sum + w.listener.accepted, 0),
    restarts: 0,
  };
}

describe('hello stats line', () => {
  it('shows the rate between two reports and the per-worker balance', () => {
    const lines: string[] = [];
    const printer = new StatsPrinter((line) => lines.push(line));
    printer.print(stats([worker(20, 100, 3), worker(10, 50, 2)]), 1000);
    printer.print(stats([worker(20, 1100, 13), worker(10, 1050, 12)]), 2000);
    expect(lines[0]).to.match(/^0 req\/s \| 150 requests/);
    expect(lines[1]).to.equal(
      '2000 req/s | 2150 requests | 2 open, 25 accepted connections | workers [10: 1050 req/12 conn, 20: 1100 req/13 conn] | restarts 0',
    );
  });

  it('never shows a negative rate when a worker is replaced and its count restarts', () => {
    expect(formatStats(stats([worker(1, 5, 1)]), 0)).to.match(/^0 req\/s/);
    const lines: string[] = [];
    const printer = new StatsPrinter((line) => lines.push(line));
    printer.print(stats([worker(1, 1000, 1)]), 0);
    printer.print(stats([worker(2, 10, 1)]), 1000);
    expect(lines[1]).to.match(/^0 req\/s/);
  });
});
