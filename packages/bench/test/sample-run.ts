import type { BenchRun, Measurement, ToolResult } from '../src/types.js';

function result(requestsPerSecond: number): ToolResult {
  return { requestsPerSecond, completed: requestsPerSecond, errors: 0, timeouts: 0, non2xx: 0, latencyP50Ms: 1, latencyP99Ms: 3 };
}

function cell(server: string, row: string, round: number, rps: number, clientCpu = 0.5): Measurement {
  return { server, row, round, result: result(rps), serverCpu: 1, clientCpu };
}

/**
 * Two rounds, two rows, three servers: 'uws' is n/a under ab (HTTP/1.0), 'percore' saturates the
 * client under wrk. The label of 'uws' holds '<' and '&' to check escaping.
 */
export function sampleRun(): BenchRun {
  const reason = 'uWebSockets.js answers HTTP/1.0 with 505';
  return {
    date: '2026-11-22T06:00:00.000Z',
    host: 'testhost',
    machine: { cpuModel: 'Test CPU @ 3.0GHz', cores: 8, node: 'v20.20.2', os: 'linux 6.1', tools: { ab: '2.3', wrk: '4.1.0' } },
    command: 'pnpm bench --rounds 2',
    rounds: 2,
    durationSeconds: 5,
    connections: 25,
    workers: 4,
    servers: [
      { id: 'node', label: 'node:http 1 process' },
      { id: 'percore', label: 'percore net 4 workers' },
      { id: 'uws', label: 'raw <uWS> & co' },
    ],
    rows: [
      { id: 'ab', label: 'ab -c25' },
      { id: 'wrk', label: 'wrk -c25' },
    ],
    baseline: 'node',
    measurements: [
      cell('node', 'ab', 1, 10000),
      cell('node', 'ab', 2, 12000),
      cell('percore', 'ab', 1, 30000),
      cell('percore', 'ab', 2, 36000),
      { server: 'uws', row: 'ab', round: 1, result: null, skipped: reason, serverCpu: 0, clientCpu: 0 },
      { server: 'uws', row: 'ab', round: 2, result: null, skipped: reason, serverCpu: 0, clientCpu: 0 },
      cell('node', 'wrk', 1, 20000),
      cell('node', 'wrk', 2, 20000),
      cell('percore', 'wrk', 1, 50000, 0.95),
      cell('percore', 'wrk', 2, 70000, 0.99),
      cell('uws', 'wrk', 1, 80000),
      cell('uws', 'wrk', 2, 80000),
    ],
  };
}
