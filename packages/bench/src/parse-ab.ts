import type { ToolResult } from './types.js';

/**
 * Parses ApacheBench's report.
 *
 * requestsPerSecond counts only successes: ab's "Requests per second" counts every completed
 * request, so it is scaled by successes / complete.
 *
 * ab's "Failed requests" mixes transport failures (Connect, Receive, Exceptions) with "Length"
 * failures, which only mean "body length differs from the first response's". A connection closed
 * before any body is such a Length failure, so without non-2xx responses they are real failures.
 * With non-2xx responses they are (in a hello-world server) those very responses, or the 2xx ones if
 * the first response was a non-2xx: then they are not counted again, and
 *   successes = complete - non2xx - (connect + receive + exceptions).
 * Otherwise successes = complete - failed.
 * With `anyStatus` every response counts whatever its status (the 404 rows, where the runner
 * checked the status first): every answer is alike there, so successes = complete - failed.
 */
export function parseAb(output: string, anyStatus = false): ToolResult {
  const timedOut = /apr_pollset_poll: The timeout specified has expired/.exec(output);
  if (timedOut) {
    const done = /Total of (\d+) requests completed/.exec(output);
    throw new Error(`ab timed out${done ? ` after ${done[1]} requests` : ''}: ${timedOut[0]}`);
  }
  const rpsMatch = /^Requests per second:\s+([\d.]+)/m.exec(output);
  const completeMatch = /^Complete requests:\s+(\d+)/m.exec(output);
  const failedMatch = /^Failed requests:\s+(\d+)/m.exec(output);
  if (!rpsMatch || !completeMatch || !failedMatch) {
    throw new Error(`not ApacheBench output: ${describeFailure(output)}`);
  }
  const rps = Number(rpsMatch[1]);
  const complete = Number(completeMatch[1]);
  const failed = Number(failedMatch[1]);
  const non2xx = intOr0(/^Non-2xx responses:\s+(\d+)/m.exec(output));

  // Present only when failed > 0.
  const kinds = /\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)/.exec(output);
  const transport = kinds ? Number(kinds[1]) + Number(kinds[2]) + Number(kinds[4]) : failed;
  const lost = non2xx > 0 && !anyStatus ? non2xx + transport : failed;
  const successes = Math.max(0, complete - lost);

  return {
    requestsPerSecond: complete > 0 ? (rps * successes) / complete : 0,
    completed: successes,
    errors: non2xx > 0 && !anyStatus ? transport : failed,
    timeouts: 0,
    non2xx,
    latencyP50Ms: percentile(output, 50),
    latencyP99Ms: percentile(output, 99),
  };
}

function intOr0(match: RegExpExecArray | null): number {
  return match ? Number(match[1]) : 0;
}

/** From "Percentage of the requests served within a certain time (ms)": "  99%     13". */
function percentile(output: string, p: number): number | null {
  const section = output.split(/^Percentage of the requests served within a certain time \(ms\)/m)[1];
  if (section === undefined) return null;
  const match = new RegExp(`^\\s*${p}%\\s+(\\d+)`, 'm').exec(section);
  return match ? Number(match[1]) : null;
}

/** The most useful line of a failed run: ab's own error (e.g. "apr_socket_recv: ..."), else the last line. */
function describeFailure(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const error = lines.find((l) => /^(apr_\w+|ab: )/.test(l) || /error|invalid|refused/i.test(l));
  return error ?? lines.at(-1) ?? '(no output)';
}
