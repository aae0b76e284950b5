import type { Lookup } from './routers.js';

export interface Timing {
  /** Lookups per second over the timed part. */
  opsPerSecond: number;
  lookups: number;
  seconds: number;
}

/**
 * Calls `find` for every lookup, in order, again and again for `seconds` (after `warmupSeconds`
 * of the same, so the JIT has settled), reading the clock once per pass over the list. Each
 * result feeds a sink so that no call can be dropped as dead code.
 */
export function timeLookups(
  lookup: Lookup,
  lookups: readonly { method: string; path: string }[],
  seconds: number,
  warmupSeconds: number,
): Timing {
  const methods = lookups.map((l) => l.method);
  const paths = lookups.map((l) => l.path);
  const n = paths.length;
  let sink = 0;
  const pass = () => {
    for (let i = 0; i < n; i++) if (lookup.find(methods[i]!, paths[i]!) !== null) sink++;
  };
  const warmEnd = performance.now() + warmupSeconds * 1000;
  while (performance.now() < warmEnd) pass();
  const start = performance.now();
  const end = start + seconds * 1000;
  let passes = 0;
  let now = start;
  while (now < end) {
    for (let k = 0; k < 16; k++) pass();
    passes += 16;
    now = performance.now();
  }
  const elapsed = (now - start) / 1000;
  if (sink < 0) throw new Error('unreachable');
  return { opsPerSecond: (passes * n) / elapsed, lookups: passes * n, seconds: elapsed };
}
