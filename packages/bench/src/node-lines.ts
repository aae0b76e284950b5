/**
 * Node.js lines for `--node 22,24,26`: each is the newest release of that major from the npm
 * registry's `node` package (the same one .ci/run tests with), installed once into a cache and
 * reused. `current` is the Node running the bench.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One Node.js line to run the servers on. */
export interface NodeLine {
  /** As asked for: a major such as 24, or `current`. */
  line: string;
  /** The binary. */
  execPath: string;
  /** What it says of itself, e.g. v24.11.1. */
  version: string;
}

/** Majors, or `current`: "22,24,26". Duplicates and anything else are refused with a reason. */
export function parseNodeLines(text: string): string[] {
  const lines = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (lines.length === 0) throw new RangeError('--node takes majors such as 22,24,26 (or current)');
  const seen = new Set<string>();
  for (const line of lines) {
    if (line !== 'current' && !/^[1-9]\d?$/.test(line)) throw new RangeError(`--node: "${line}" is not a Node major (such as 24) or current`);
    if (seen.has(line)) throw new RangeError(`--node: "${line}" is given twice`);
    seen.add(line);
  }
  return lines;
}

/** Where the installed lines are kept: $PERCORE_NODE_CACHE, else ~/.cache/percore-bench/node. */
export function nodeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PERCORE_NODE_CACHE) return env.PERCORE_NODE_CACHE;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'percore-bench', 'node');
}

/** The binary a line's install leaves (npm's `node` package puts it in node_modules/node/bin). */
export function nodeBinaryPath(cacheDir: string, line: string): string {
  return join(cacheDir, `node${line}`, 'node_modules', 'node', 'bin', 'node');
}

function versionOf(execPath: string): string {
  return execFileSync(execPath, ['--version'], { encoding: 'utf8' }).trim();
}

/**
 * The binary for `line`: the cached one when it is that major, else `npm install node@LINE`
 * into the cache (progress says so; it takes a few seconds to a minute).
 */
export async function resolveNodeLine(line: string, progress: (text: string) => void, cacheDir = nodeCacheDir()): Promise<NodeLine> {
  if (line === 'current') return { line, execPath: process.execPath, version: process.version };
  const execPath = nodeBinaryPath(cacheDir, line);
  if (existsSync(execPath)) {
    const version = versionOf(execPath);
    if (version.startsWith(`v${line}.`)) return { line, execPath, version };
  }
  progress(`installing Node ${line} from the npm registry into ${cacheDir}`);
  try {
    await run('npm', ['install', '--prefix', join(cacheDir, `node${line}`), '--no-save', '--no-audit', '--no-fund', `node@${line}`], {
      maxBuffer: 16 << 20,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error).trim();
    throw new Error(`npm install node@${line} failed: ${stderr.split('\n').slice(-3).join(' ')}`);
  }
  if (!existsSync(execPath)) throw new Error(`npm install node@${line} left no binary at ${execPath}`);
  const version = versionOf(execPath);
  if (!version.startsWith(`v${line}.`)) throw new Error(`npm's node@${line} says it is ${version}`);
  return { line, execPath, version };
}
