/**
 * A --node run seen one Node line at a time: each line's view holds that line's Node servers and
 * every server that is not Node (nginx, Tornado), with the baseline on the same line, so the
 * existing tables and their ratios apply to it unchanged.
 */
import { summarize } from './summary.js';
import type { BenchRun, NodeLineInfo, ServerInfo } from './types.js';

export interface LineView {
  line: NodeLineInfo;
  /** The run restricted to the line: its machine.node is the line's version, its baseline the line's column. */
  run: BenchRun;
}

/** One view per Node line, in the run's order; none for a run without --node. */
export function lineViews(run: BenchRun): LineView[] {
  const { nodeLines, ...single } = run;
  return (nodeLines ?? []).map((line) => {
    const servers = run.servers.filter((s) => s.node === undefined || s.node === line.line);
    const ids = new Set(servers.map((s) => s.id));
    const baseline = servers.find((s) => (s.base ?? s.id) === run.baseline)?.id ?? run.baseline;
    return {
      line,
      run: {
        ...single,
        machine: { ...run.machine, node: line.version },
        servers,
        baseline,
        measurements: run.measurements.filter((m) => ids.has(m.server)),
      },
    };
  });
}

/** A column's label with its Node version, where it has one (the chart and notes that mix lines). */
export function columnLabel(run: BenchRun, server: ServerInfo): string {
  const version = run.nodeLines?.find((l) => l.line === server.node)?.version;
  return version === undefined ? server.label : `${server.label} on Node ${version}`;
}

/** The Node versions a run's servers ran on: each --node line's, else the bench's own. */
export function nodeVersions(run: BenchRun): string[] {
  return run.nodeLines?.map((l) => l.version) ?? [run.machine.node];
}

/** percore's net server over raw node:net on each line, per row: what the per-line summary shows. */
export interface PercoreOverRawNet {
  /** The percore server compared: percore-net-1 when the run has it, else percore-net. */
  percore: string;
  rawNet: string;
  /** Per line, one ratio of medians per run row (null where either median is missing). */
  lines: { line: NodeLineInfo; ratios: (number | null)[] }[];
}

const RAW_NET = 'raw-net';
const PERCORE_NETS = ['percore-net-1', 'percore-net'];

/** The summary of a --node run that has raw-net and a percore net server; null otherwise. */
export function percoreOverRawNet(run: BenchRun): PercoreOverRawNet | null {
  const bases = new Set(run.servers.map((s) => s.base ?? s.id));
  const percore = PERCORE_NETS.find((id) => bases.has(id));
  if (run.nodeLines === undefined || percore === undefined || !bases.has(RAW_NET)) return null;
  const lines = lineViews(run).map(({ line, run: view }) => {
    const summary = summarize(view);
    const rpsOf = (cells: (typeof summary.rows)[number]['cells'], base: string) =>
      cells.find((c) => (view.servers.find((s) => s.id === c.server)?.base ?? c.server) === base)?.requestsPerSecond ?? null;
    const ratios = summary.rows.map(({ cells }) => {
      const top = rpsOf(cells, percore);
      const bottom = rpsOf(cells, RAW_NET);
      return top === null || bottom === null || bottom === 0 ? null : top / bottom;
    });
    return { line, ratios };
  });
  return { percore, rawNet: RAW_NET, lines };
}
