import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether the openssl command runs here (the tests that parse with it skip without it). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Stands for the input's file in `openssl()`'s arguments. */
export const INPUT = Symbol('the input file');

/**
 * Runs `openssl ARGS...` with `input` in a file, named where INPUT stands in the arguments, or
 * after `-in` at their end; its stdout, or throws with its stderr.
 */
export function openssl(args: Array<string | typeof INPUT>, input: Buffer | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'percore-cli-openssl-'));
  try {
    const file = join(dir, 'input');
    writeFileSync(file, input);
    const named = args.includes(INPUT) ? args.map((arg) => (arg === INPUT ? file : arg)) : [...(args as string[]), '-in', file];
    return execFileSync('openssl', named, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
