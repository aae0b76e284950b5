// Rules cited as "rule N": docs/uws-rules.md
import { createRequire } from 'node:module';
import type * as UwsModule from 'uws-node18-23';
import { PercoreError } from '../errors.js';

export type Uws = typeof UwsModule;

/**
 * uWebSockets.js binaries are tied to Node's ABI (rule 9), and the npm registry carries them only as the
 * @uwsjs/core republish, under two lines installed side by side through npm aliases. The newest
 * line that has a binary for this Node is used; a line without one fails fast.
 */
const LINES = [
  { module: 'uws-node22-26', label: '@uwsjs/core@20.69.0 (Node 22, 24, 26)' },
  { module: 'uws-node18-23', label: '@uwsjs/core@20.51.4 (Node 18, 20, 22, 23)' },
] as const;

const require = createRequire(import.meta.url);
let loaded: Uws | null = null;

/**
 * Loads uWebSockets.js on first use, so the `net` engine never pays for it. Throws
 * PERCORE_ERR_UWS_UNAVAILABLE, naming the Node version, platform and each line's reason, when
 * no binary loads.
 */
export function loadUws(): Uws {
  if (loaded !== null) return loaded;
  const reasons: string[] = [];
  for (const line of LINES) {
    try {
      loaded = require(line.module) as Uws;
      return loaded;
    } catch (error) {
      reasons.push(`${line.label}: ${lastLine(error)}`);
    }
  }
  throw new PercoreError(
    'PERCORE_ERR_UWS_UNAVAILABLE',
    `no uWebSockets.js binary loads on Node ${process.version} (${process.platform}-${process.arch}, ABI ${process.versions.modules}). ` +
      `Use --engine net, which runs everywhere Node does. After switching Node versions, run pnpm install again ` +
      `so that the binary for this version is installed. Tried: ${reasons.join('; ')}`,
  );
}

/** The most telling line of a loader error: the last "Error:" line (uWS appends the cause). */
function lastLine(error: unknown): string {
  const lines = String((error as Error)?.message ?? error)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const causes = lines.filter((line) => line.startsWith('Error:'));
  return causes[causes.length - 1] ?? lines[0] ?? 'unknown error';
}
