/**
 * The command-line HTTP/2 clients (curl, openssl s_client, nghttp, h2load) for the real-client
 * tests: skip with the reason where one is missing (`.ci/run` installs them; with
 * PERCORE_REQUIRE_H2_TOOLS=1 a missing one fails instead), and run one without blocking the
 * event loop, since the server under test runs in this process.
 */
import { execFileSync, spawn } from 'node:child_process';

/** The Debian package each command comes from. */
const PACKAGES = { curl: 'curl', openssl: 'openssl', nghttp: 'nghttp2-client', h2load: 'nghttp2-client' };

function installed(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Skips the test (or suite) where `command` is not installed, printing why. */
export function requireCommand(context: Mocha.Context, command: keyof typeof PACKAGES): void {
  if (installed(command)) return;
  const reason = `${command} is not installed (apt-get install ${PACKAGES[command]})`;
  if (process.env.PERCORE_REQUIRE_H2_TOOLS === '1') throw new Error(reason);
  console.log(`      skipped: ${reason}`);
  context.skip();
}

export interface CommandRun {
  /** The exit code, or -1 where it was killed at the deadline. */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command args`, `input` on its stdin (then closed); kills it after `timeoutMs`. Never rejects for a non-zero exit. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 15_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: killed ? -1 : (code ?? -1), stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
