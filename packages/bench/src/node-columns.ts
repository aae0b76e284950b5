/**
 * `--node 22,24,26`: the runner's columns become (server x Node line). Each Node-based server runs
 * once per line, as a variant bound to that line's binary; a server that does not run Node (nginx,
 * Tornado, an --extra-server command) runs once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeLine } from './node-lines.js';
import type { ServerSpec } from './servers.js';

/** Between a server's id and its line: `percore-net-1~node24`. Not `@`, which is ID@DIR's. */
export const LINE_SEPARATOR = '~node';

/** One column of a run: the spec to start, the spec it came from, and the Node line it runs on (none: once, not per line). */
export interface NodeColumn {
  spec: ServerSpec;
  base: ServerSpec;
  line?: NodeLine;
}

const PROBE_NODE = '/percore-bench-probe/bin/node';

/**
 * Whether a server's command runs the Node binary it is given. Asked of the command itself, so a
 * server added to servers.ts needs no list here. A file server's nginx writes its config into the
 * probe's file set (removed here); the hello nginx into servers.ts's scratch dir (stopAllServers).
 */
export function runsOnNode(spec: ServerSpec): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'percore-bench-probe-'));
  try {
    const files = { dir, root: join(dir, 'root'), remove: () => undefined };
    return spec.command(1, 1, files, PROBE_NODE)[0] === PROBE_NODE;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function columnId(id: string, line: string): string {
  return `${id}${LINE_SEPARATOR}${line}`;
}

/** A spec that runs on `line`'s binary whatever it is asked for. */
function onLine(spec: ServerSpec, line: NodeLine): ServerSpec {
  return {
    ...spec,
    id: columnId(spec.id, line.line),
    command: (port, workers, files) => spec.command(port, workers, files, line.execPath),
    unavailable: () => spec.unavailable(line.execPath),
  };
}

/**
 * The columns, server by server in the given order: without lines each server as it is; with
 * lines a Node server once per line (in the lines' order), any other server once.
 */
export function nodeColumns(specs: ServerSpec[], lines?: NodeLine[]): NodeColumn[] {
  if (lines === undefined || lines.length === 0) return specs.map((spec) => ({ spec, base: spec }));
  const columns = specs.flatMap((spec): NodeColumn[] =>
    runsOnNode(spec) ? lines.map((line) => ({ spec: onLine(spec, line), base: spec, line })) : [{ spec, base: spec }],
  );
  const seen = new Set<string>();
  for (const { spec } of columns) {
    if (seen.has(spec.id)) throw new Error(`two columns would be called "${spec.id}"`);
    seen.add(spec.id);
  }
  return columns;
}
