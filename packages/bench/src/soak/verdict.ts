import { CLASSES, type ClassCounts, type LoadClass } from './tally.js';
import { mib, rssLimit, type RssSeries } from './rss.js';

/** What the verdict looks at. */
export interface VerdictInput {
  counts: Record<LoadClass, ClassCounts>;
  rss: RssSeries[];
  /** Worker pids at the start, and every change seen at a sample (a crash or a restart). */
  workerChanges: string[];
  primaryAliveAtEnd: boolean;
  /** Milliseconds from SIGTERM to the primary's exit, or null if it had not exited within the grace. */
  shutdownMs: number | null;
  /** Every load loop returned after the deadline (a loop stuck on a connection the server left hanging does not). */
  loopsEnded: boolean;
}

export interface Verdict {
  pass: boolean;
  /** One line per failed check; empty when it passes. */
  reasons: string[];
}

/**
 * Passes when no worker crashed (the same worker pids throughout and the primary alive), no
 * answer was wrong, no connection that should have worked was reset, every class completed some
 * work, each worker's RSS at the end is within rssLimit of its post-warm-up figure, and the
 * cluster exits on SIGTERM within the grace.
 */
export function verdictOf(input: VerdictInput): Verdict {
  const reasons: string[] = [];
  if (!input.primaryAliveAtEnd) reasons.push('the primary exited during the run');
  for (const change of input.workerChanges) reasons.push(`worker set changed: ${change}`);
  for (const cls of CLASSES) {
    const c = input.counts[cls];
    if (c.wrong > 0) reasons.push(`${cls}: ${c.wrong} wrong answers`);
    if (c.resets > 0) reasons.push(`${cls}: ${c.resets} unexpected resets`);
    if (c.correct === 0) reasons.push(`${cls}: no correct answer at all (the class did not run)`);
  }
  for (const series of input.rss) {
    if (series.start === null) {
      reasons.push(`worker ${series.pid}: no RSS sample after the warm-up`);
      continue;
    }
    const limit = rssLimit(series.start);
    if (series.end > limit) {
      reasons.push(
        `worker ${series.pid}: RSS ${mib(series.end)} MiB at the end, over the limit ${mib(limit)} MiB (start ${mib(series.start)} MiB)`,
      );
    }
  }
  if (!input.loopsEnded) reasons.push('a load loop was still waiting on the server a minute after the deadline');
  if (input.shutdownMs === null) reasons.push('the primary did not exit after SIGTERM');
  return { pass: reasons.length === 0, reasons };
}
