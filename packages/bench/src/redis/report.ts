/** The markdown of `pnpm bench redis`: per mode and test, each server's median and the median of the per-round ratios. */
import type { RedisBenchmarkRow } from './csv.js';

export interface RedisRound {
  round: number;
  mode: string;
  server: string;
  rows: RedisBenchmarkRow[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A table per mode: `servers[0]` over `servers[1]`, ratio per round then the median. */
export function renderRedisTables(rounds: RedisRound[], servers: [string, string]): string {
  const out: string[] = [];
  for (const mode of [...new Set(rounds.map((r) => r.mode))]) {
    const ofMode = rounds.filter((r) => r.mode === mode);
    const tests = [...new Set(ofMode.flatMap((r) => r.rows.map((row) => row.test)))];
    const roundNumbers = [...new Set(ofMode.map((r) => r.round))].sort((a, b) => a - b);
    out.push(`### ${mode}`, '');
    out.push(`| test | ${servers[0]} median req/s | ${servers[1]} median req/s | ratio per round | median ratio |`);
    out.push('|---|---:|---:|---|---:|');
    for (const test of tests) {
      const rps = (server: string, round: number) =>
        ofMode.find((r) => r.server === server && r.round === round)?.rows.find((row) => row.test === test)?.rps;
      const ratios: number[] = [];
      const a: number[] = [];
      const b: number[] = [];
      for (const round of roundNumbers) {
        const x = rps(servers[0], round);
        const y = rps(servers[1], round);
        if (x !== undefined) a.push(x);
        if (y !== undefined) b.push(y);
        if (x !== undefined && y !== undefined) ratios.push(x / y);
      }
      if (a.length === 0 || b.length === 0) continue;
      out.push(
        `| ${test} | ${Math.round(median(a)).toLocaleString('en-US')} | ${Math.round(median(b)).toLocaleString('en-US')} | ${ratios
          .map((r) => r.toFixed(2))
          .join(', ')} | **${median(ratios).toFixed(2)}** |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}
