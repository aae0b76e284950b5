import { median } from '../stats.js';
import type { RouterKind } from './routers.js';

export interface RoutingRun {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  cpus: string | null;
  command: string;
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  routes: number;
  lookups: number;
  /** Lookups per second, per round, per router. */
  results: { round: number; router: RouterKind; opsPerSecond: number }[];
}

function ops(value: number): string {
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : `${(value / 1e3).toFixed(1)}K`;
}

/** percore's lookups per second over find-my-way's, round by round; null where a round lacks either. */
export function routingRatios(run: RoutingRun): (number | null)[] {
  const ratios: (number | null)[] = [];
  for (let round = 1; round <= run.rounds; round++) {
    const p = run.results.find((r) => r.round === round && r.router === 'percore')?.opsPerSecond;
    const f = run.results.find((r) => r.round === round && r.router === 'find-my-way')?.opsPerSecond;
    ratios.push(p === undefined || f === undefined || f === 0 ? null : p / f);
  }
  return ratios;
}

export function renderRouting(run: RoutingRun): string {
  const of = (router: RouterKind) => run.results.filter((r) => r.router === router).map((r) => r.opsPerSecond);
  const ratios = routingRatios(run);
  const known = ratios.filter((r): r is number => r !== null);
  const lines = [
    `Node ${run.node}, ${run.cpuModel}, ${run.cores} cores, ${run.date.slice(0, 10)}, ${run.cpus === null ? 'not pinned' : `pinned to CPU ${run.cpus}`}. ` +
      `${run.routes} routes, ${run.lookups} lookups per pass; ${run.rounds} rounds interleaved, ${run.durationSeconds} s timed per router per round after ${run.warmupSeconds} s of warm-up, each in a fresh process.`,
    '',
    `| round | percore Router | find-my-way | percore / find-my-way |`,
    `|---|---|---|---|`,
  ];
  for (let round = 1; round <= run.rounds; round++) {
    const cell = (router: RouterKind) => {
      const r = run.results.find((x) => x.round === round && x.router === router);
      return r === undefined ? 'n/a' : `${ops(r.opsPerSecond)}/s`;
    };
    const ratio = ratios[round - 1];
    lines.push(
      `| ${round} | ${cell('percore')} | ${cell('find-my-way')} | ${ratio === null || ratio === undefined ? 'n/a' : ratio.toFixed(3)} |`,
    );
  }
  const p = of('percore');
  const f = of('find-my-way');
  lines.push(
    `| **median** | **${p.length > 0 ? ops(median(p)) : 'n/a'}/s** | **${f.length > 0 ? ops(median(f)) : 'n/a'}/s** | **${known.length > 0 ? median(known).toFixed(3) : 'n/a'}** (median of the per-round ratios) |`,
    '',
    `Command: \`${run.command}\``,
  );
  return lines.join('\n');
}
