import type { BenchRun, Measurement, RowInfo, ServerInfo } from './types.js';
import { median, spread, type Spread } from './stats.js';

/** A load generator using this much of a core (or more) may be what limits the figure. */
export const CLIENT_SATURATION_CPU = 0.9;

/** One server under one row's load, over all rounds. */
export interface CellSummary {
  row: string;
  server: string;
  /** Median over the rounds that measured something; null when no round did (n/a). */
  requestsPerSecond: number | null;
  spread: Spread | null;
  /** requestsPerSecond / the baseline's in the same row; null when either is n/a. */
  ratio: number | null;
  /** Medians over the measured rounds (1 = one core). */
  serverCpu: number | null;
  clientCpu: number | null;
  /** The client used >= CLIENT_SATURATION_CPU of a core: the figure is client-bound, the server may do more. */
  clientSaturated: boolean;
  measuredRounds: number;
  /** Rounds without a result (skipped or failed), and why. */
  failedRounds: number;
  /** Why there is no result (unique reasons joined by "; "), or null. */
  reason: string | null;
}

export interface Summary {
  baseline: string;
  servers: ServerInfo[];
  /** In the run's row order; cells in the run's server order. */
  rows: { row: RowInfo; cells: CellSummary[] }[];
}

export function summarize(run: BenchRun): Summary {
  const rows = run.rows.map((row) => {
    const cells = run.servers.map((server) =>
      summarizeCell(
        row.id,
        server.id,
        run.measurements.filter((m) => m.row === row.id && m.server === server.id),
      ),
    );
    const base = cells.find((c) => c.server === run.baseline)?.requestsPerSecond ?? null;
    for (const cell of cells) {
      if (cell.requestsPerSecond !== null && base !== null && base > 0) cell.ratio = cell.requestsPerSecond / base;
    }
    return { row, cells };
  });
  return { baseline: run.baseline, servers: run.servers, rows };
}

function summarizeCell(row: string, server: string, ms: Measurement[]): CellSummary {
  const measured = ms.filter((m) => m.result !== null);
  const failed = ms.filter((m) => m.result === null);
  const reasons = [...new Set(failed.map((m) => m.skipped ?? 'the run failed'))];
  if (ms.length === 0) reasons.push('not measured');
  const rps = measured.map((m) => m.result!.requestsPerSecond);
  const clientCpu = medianOfKnown(measured.map((m) => m.clientCpu));
  return {
    row,
    server,
    requestsPerSecond: rps.length ? median(rps) : null,
    spread: rps.length ? spread(rps) : null,
    ratio: null,
    serverCpu: medianOfKnown(measured.map((m) => m.serverCpu)),
    clientCpu,
    clientSaturated: clientCpu !== null && clientCpu >= CLIENT_SATURATION_CPU,
    measuredRounds: measured.length,
    failedRounds: failed.length,
    reason: reasons.length ? reasons.join('; ') : null,
  };
}

/** CPU is NaN when it could not be measured (no GNU time): left out, null when none is known. */
function medianOfKnown(values: number[]): number | null {
  const known = values.filter((v) => Number.isFinite(v));
  return known.length ? median(known) : null;
}
