import type { ToolResult } from './types.js';

/**
 * Parses wrk's report. wrk's "Requests/sec" counts every response, whatever its status, so it is
 * scaled by successes / requests, successes = requests - non-2xx. wrk's "Non-2xx or 3xx responses"
 * counts statuses >= 400 only, so a 3xx passes as a success. Socket errors (connect, read, write)
 * become `errors`; their timeouts, `timeouts`. Percentiles exist only with --latency, else null.
 * With `anyStatus` every response counts (the 404 rows, where the runner checked the status first).
 */
export function parseWrk(output: string, anyStatus = false): ToolResult {
  const rpsMatch = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const totalMatch = /^\s*(\d+) requests in /m.exec(output);
  if (!rpsMatch || !totalMatch) {
    const lines = output
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    throw new Error(`not wrk output: ${lines[0] ?? '(no output)'}`);
  }
  const rps = Number(rpsMatch[1]);
  const total = Number(totalMatch[1]);
  const non2xxMatch = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const non2xx = non2xxMatch ? Number(non2xxMatch[1]) : 0;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const successes = anyStatus ? total : Math.max(0, total - non2xx);

  return {
    requestsPerSecond: total > 0 ? (rps * successes) / total : 0,
    completed: successes,
    errors: socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0,
    timeouts: socket ? Number(socket[4]) : 0,
    non2xx,
    latencyP50Ms: percentile(output, 50),
    latencyP99Ms: percentile(output, 99),
  };
}

const toMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "Latency Distribution" lines such as "     99%    2.64ms". */
function percentile(output: string, p: number): number | null {
  const section = output.split(/^\s*Latency Distribution/m)[1];
  if (section === undefined) return null;
  const match = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(section);
  if (!match) return null;
  return Number(match[1]) * (toMs[match[2]!] ?? NaN);
}
