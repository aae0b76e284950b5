import type { BenchRun, Measurement, ServerInfo } from '../src/types.js';

const LINES = [
  { line: '22', version: 'v22.22.0', execPath: '/cache/node22/bin/node' },
  { line: '26', version: 'v26.1.0', execPath: '/cache/node26/bin/node' },
];

/** Median req/s per server and line, under every row (wrk: twice as much); nginx is not Node and runs once. */
const MEDIANS: Record<string, Record<string, number>> = {
  'node-http': { '22': 10000, '26': 20000 },
  'percore-net-1': { '22': 30000, '26': 50000 },
  'raw-net': { '22': 40000, '26': 40000 },
};
const NGINX = 50000;

function cells(server: string, node: string | undefined, median: number): Measurement[] {
  return ['ab-k', 'wrk'].flatMap((row) => {
    const scale = row === 'wrk' ? 2 : 1;
    // Three rounds: the median and 10% either side.
    return [0.9, 1, 1.1].map((f, i) => ({
      server,
      row,
      round: i + 1,
      ...(node !== undefined ? { node } : {}),
      result: {
        requestsPerSecond: median * scale * f,
        completed: 1,
        errors: 0,
        timeouts: 0,
        non2xx: 0,
        latencyP50Ms: 1,
        latencyP99Ms: 2,
      },
      serverCpu: 1,
      clientCpu: 0.5,
    }));
  });
}

/**
 * A `--node 22,26` run as the runner records it: node-http, percore-net-1 and raw-net once per
 * line (ids with ~nodeNN), nginx-1 once. The lines' figures differ, so a ratio taken against the
 * wrong line's baseline shows.
 */
export function sampleLinesRun(): BenchRun {
  const servers: ServerInfo[] = [];
  const measurements: Measurement[] = [];
  const labels: Record<string, string> = {
    'node-http': 'node:http (1 process)',
    'percore-net-1': 'percore net (1 process)',
    'raw-net': 'raw node:net',
  };
  for (const [base, byLine] of Object.entries(MEDIANS)) {
    for (const { line } of LINES) {
      const id = `${base}~node${line}`;
      servers.push({ id, label: labels[base]!, node: line, base });
      measurements.push(...cells(id, line, byLine[line]!));
    }
  }
  servers.push({ id: 'nginx-1', label: 'nginx, 1 worker (1 process)' });
  measurements.push(...cells('nginx-1', undefined, NGINX));
  return {
    date: '2026-12-02T12:00:00.000Z',
    host: 'testhost',
    machine: { cpuModel: 'Test CPU', cores: 2, node: 'v24.11.1', os: 'linux 6.1', tools: { ab: '2.3', wrk: '4.1.0' } },
    command: 'pnpm bench compare --node 22,26',
    rounds: 3,
    durationSeconds: 5,
    connections: 25,
    workers: 1,
    servers,
    rows: [
      { id: 'ab-k', label: 'ab -k -c25' },
      { id: 'wrk', label: 'wrk -c25' },
    ],
    baseline: 'node-http',
    nodeLines: LINES,
    measurements,
  };
}
