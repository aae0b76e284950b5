import type autocannon from 'autocannon';
import type { ToolResult } from './types.js';

/**
 * Converts autocannon's result. requests.average counts every response, so the rate is taken from
 * the 2xx count over the measured time instead. `start`/`finish` give that time more precisely than
 * `duration` (whole seconds); they may be strings when the result was read back from JSON.
 */
export function fromAutocannon(result: autocannon.Result): ToolResult {
  const successes = result['2xx'];
  const seconds = elapsedSeconds(result);
  return {
    requestsPerSecond: seconds > 0 ? successes / seconds : 0,
    completed: successes,
    // autocannon's errors include its timeouts; they are reported apart.
    errors: Math.max(0, result.errors - result.timeouts),
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    latencyP50Ms: finiteOrNull(result.latency.p50),
    latencyP99Ms: finiteOrNull(result.latency.p99),
  };
}

function elapsedSeconds(result: autocannon.Result): number {
  const ms = new Date(result.finish).getTime() - new Date(result.start).getTime();
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : result.duration;
}

function finiteOrNull(value: number | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
