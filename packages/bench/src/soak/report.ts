import { mib, rssLimit } from './rss.js';
import type { SoakResult, SoakSnapshot } from './run.js';
import { CLASSES } from './tally.js';

/** One progress line: elapsed, requests sent per class, failures, RSS per worker. */
export function progressLine(s: SoakSnapshot): string {
  const sent = CLASSES.map((c) => `${c} ${s.counts[c].sent}`).join(', ');
  const rss = s.rss.map((r) => `${r.pid} ${mib(r.end)} MiB`).join(', ');
  return `[${s.elapsedSeconds.toFixed(0).padStart(4)} s] sent: ${sent} | failures ${s.failures} | rss ${rss}`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The summary: counts per class, RSS per worker, the checks and the verdict, as Markdown. */
export function summary(result: SoakResult): string {
  const counts = table(
    ['class', 'clients', 'connections', 'sent', 'correct', 'wrong', 'resets'],
    CLASSES.map((c) => {
      const n = result.counts[c];
      return [c, String(result.mix[c]), String(n.connections), String(n.sent), String(n.correct), String(n.wrong), String(n.resets)];
    }),
  );
  const rss = table(
    ['worker pid', 'start MiB (after warm-up)', 'max MiB', 'end MiB', 'limit MiB', 'samples'],
    result.rss.map((r) => [
      String(r.pid),
      mib(r.start),
      mib(r.max),
      mib(r.end),
      r.start === null ? '-' : mib(rssLimit(r.start)),
      String(r.samples),
    ]),
  );
  const lines = [
    `Soak: ${result.durationSeconds} s (warm-up ${result.warmupSeconds} s), ${result.workers} workers, Node ${result.node}, ${result.cores} CPUs, started ${result.date}`,
    `Server: ${result.serverCommand}`,
    '',
    counts,
    '',
    rss,
    '',
    `Workers: [${result.workerPids.join(', ')}] ${result.workerChanges.length === 0 ? 'unchanged throughout' : result.workerChanges.join('; ')}; primary ${result.primaryAliveAtEnd ? 'alive at the end' : 'gone'}.`,
    `Slowloris: trickled heads ended by the server: ${result.slowloris.describe()}. Half-closed bodies (abort) closed by the server: ${result.halfCloses.describe()}.`,
    `Shutdown: ${result.shutdownMs === null ? 'the primary did not exit after SIGTERM' : `SIGTERM to exit in ${result.shutdownMs} ms`}.`,
  ];
  if (result.failures.length > 0) {
    lines.push('', `Failures (${result.failureCount}, the first ${result.failures.length}):`, ...result.failures.map((f) => `- ${f}`));
  }
  if (result.serverOutput !== undefined && result.serverOutput.length > 0) {
    lines.push('', 'Cluster output (last lines):', ...result.serverOutput.map((l) => `    ${l}`));
  }
  lines.push('', result.verdict.pass ? 'Verdict: PASS' : `Verdict: FAIL\n${result.verdict.reasons.map((r) => `- ${r}`).join('\n')}`);
  return lines.join('\n');
}

export function soakJson(result: SoakResult, command: string): string {
  return `${JSON.stringify({ command, ...result }, null, 2)}\n`;
}
