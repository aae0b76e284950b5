/**
 * The real `curl` binary, run as a child process with a deadline: what it wrote to stdout (the
 * body, as curl saved it), the response head it dumped, the request head it sent (from -v) and
 * the status it reports.
 */
import { spawn, spawnSync } from 'node:child_process';

/** Skips the test where curl is missing, except in CI (`.ci/run` installs it), where that fails. */
export function requireCurl(context: Mocha.Context): void {
  if (spawnSync('sh', ['-c', 'command -v curl']).status === 0) return;
  if (process.env.CI) throw new Error('curl is not installed (apt-get install curl)');
  console.log('      skipped: curl is not installed (apt-get install curl)');
  context.skip();
}

export interface CurlRun {
  /** curl's exit code: 0 when the transfer worked (curl does not fail on 4xx/5xx without -f). */
  code: number | null;
  /** The status of the last response, from -w '%{http_code}'. */
  status: number;
  /** The body as curl wrote it (decoded, with --compressed). */
  body: Buffer;
  /** Response header fields by lower-case name (the last response's), from -D. */
  headers: Record<string, string>;
  /** Request header fields curl sent by lower-case name, from -v. */
  sent: Record<string, string>;
  /** The request line curl sent, from -v: 'GET /a HTTP/1.1'. */
  requestLine: string;
  stderr: string;
}

const STATUS_MARK = '\n--percore-status:';

/**
 * Runs `curl -sS -v -w <status> <args> <url>`. The body goes to stdout unless `args` names an
 * output file; -w writes the status to stdout after it, behind a marker, and it is cut off there.
 */
export function curl(url: string, args: readonly string[], timeoutMs = 10_000): Promise<CurlRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'curl',
      ['-sS', '-v', '--max-time', String(Math.ceil(timeoutMs / 1000)), '-w', `${STATUS_MARK}%{http_code}`, ...args, url],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('latin1')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 2000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      const mark = stdout.lastIndexOf(STATUS_MARK);
      if (mark < 0) return reject(new Error(`curl ${args.join(' ')} ${url} wrote no status (exit ${code}): ${stderr}`));
      const status = Number(stdout.subarray(mark + STATUS_MARK.length).toString('latin1'));
      resolve({ code, status, body: stdout.subarray(0, mark), ...parseVerbose(stderr), stderr });
    });
  });
}

/** curl -v prints the request head as '> ' lines and the response head as '< ' lines. */
function parseVerbose(stderr: string): Pick<CurlRun, 'headers' | 'sent' | 'requestLine'> {
  const sent: Record<string, string> = {};
  let headers: Record<string, string> = {};
  let requestLine = '';
  for (const raw of stderr.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('> ')) {
      const text = line.slice(2);
      if (requestLine === '' && / HTTP\/1\.[01]$/.test(text)) requestLine = text;
      else addField(sent, text);
    } else if (line.startsWith('< ')) {
      const text = line.slice(2);
      // A new status line starts a new response (a redirect followed, or a 100 Continue).
      if (/^HTTP\/\d/.test(text)) headers = {};
      else addField(headers, text);
    }
  }
  return { headers, sent, requestLine };
}

function addField(fields: Record<string, string>, text: string): void {
  const colon = text.indexOf(':');
  if (colon <= 0) return;
  const name = text.slice(0, colon).trim().toLowerCase();
  const value = text.slice(colon + 1).trim();
  fields[name] = fields[name] === undefined ? value : `${fields[name]}, ${value}`;
}
