import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { FamilySnapshot } from './snapshot.js';

/**
 * The process's own health: memory, CPU and event-loop lag. Lag is measured by node's
 * monitorEventLoopDelay and reported for the window since the previous snapshot (then reset), so
 * a scrape sees recent stalls rather than the worst since start.
 */
export class ProcessMetrics {
  private readonly delay: IntervalHistogram;

  constructor() {
    this.delay = monitorEventLoopDelay({ resolution: 10 });
    this.delay.enable();
  }

  collect(): FamilySnapshot[] {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    // With no sample yet in the window the histogram reads 0 (min reads a huge sentinel).
    const lag = this.delay.count === 0 ? { p99: 0, max: 0 } : { p99: this.delay.percentile(99) / 1e9, max: this.delay.max / 1e9 };
    this.delay.reset();
    const gauge = (name: string, help: string, value: number, aggregation: 'sum' | 'max' = 'sum'): FamilySnapshot => ({
      name,
      help,
      type: 'gauge',
      labelNames: [],
      aggregation,
      series: [{ labels: [], value }],
    });
    return [
      gauge('process_resident_memory_bytes', 'Resident memory, summed over the cluster’s processes.', memory.rss),
      gauge('nodejs_heap_used_bytes', 'V8 heap in use, summed over the cluster’s processes.', memory.heapUsed),
      gauge('nodejs_heap_total_bytes', 'V8 heap allocated, summed over the cluster’s processes.', memory.heapTotal),
      {
        name: 'process_cpu_seconds_total',
        help: 'User and system CPU time, summed over the cluster’s processes.',
        type: 'counter',
        labelNames: [],
        series: [{ labels: [], value: (cpu.user + cpu.system) / 1e6 }],
      },
      gauge(
        'nodejs_eventloop_lag_p99_seconds',
        'The 99th percentile of event-loop delay since the previous scrape, the worst process’s.',
        lag.p99,
        'max',
      ),
      gauge(
        'nodejs_eventloop_lag_max_seconds',
        'The longest event-loop delay since the previous scrape, the worst process’s.',
        lag.max,
        'max',
      ),
    ];
  }

  stop(): void {
    this.delay.disable();
  }
}
