/**
 * openssl helpers for the TLS operations tests: certificates for any name, and s_client runs that
 * say whether the session was resumed. Not a test file itself (no .test.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NamedCertificate {
  readonly key: string;
  readonly cert: string;
  readonly keyFile: string;
  readonly certFile: string;
  /** SHA-256 fingerprint, spelt as node:tls's getPeerCertificate().fingerprint256 spells it. */
  readonly fingerprint: string;
}

let scratch: string | null = null;
let made = 0;

/** This process's directory for certificates and session files, removed at exit. */
export function scratchDir(): string {
  if (scratch === null) {
    const dir = mkdtempSync(join(tmpdir(), 'percore-tlsops-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    scratch = dir;
  }
  return scratch;
}

/** A fresh file name in the scratch directory. */
export function scratchFile(name: string): string {
  return join(scratchDir(), `${made++}-${name}`);
}

/** A self-signed P-256 certificate for `names` (the first is its CN), valid for a day. */
export function makeCertificate(...names: string[]): NamedCertificate {
  const keyFile = scratchFile('key.pem');
  const certFile = scratchFile('cert.pem');
  const san = names.map((name) => (/^[\d.]+$/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${san}`,
      '-days',
      '1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const cert = readFileSync(certFile, 'utf8');
  return { key: readFileSync(keyFile, 'utf8'), cert, keyFile, certFile, fingerprint: new X509Certificate(cert).fingerprint256 };
}

export interface SClientRun {
  /** Whether s_client resumed the session it was given (it printed `Reused,`). */
  readonly reused: boolean;
  /** The HTTP response's body (everything after the blank line). */
  readonly body: string;
  /** The server certificate's SHA-256 fingerprint. */
  readonly fingerprint: string;
  readonly output: string;
}

/**
 * One `openssl s_client` connection over TLS 1.3 to 127.0.0.1:port that sends a GET for `path`
 * with Connection: close and reads the whole response, so that the session tickets sent after
 * the handshake arrive and `sessOut` holds a resumable session. `sessIn` offers one.
 */
export async function sClient(
  port: number,
  options: { path?: string; servername?: string; sessIn?: string; sessOut?: string } = {},
): Promise<SClientRun> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_3', '-ign_eof', '-showcerts'];
  if (options.servername !== undefined) args.push('-servername', options.servername);
  else args.push('-noservername');
  if (options.sessIn !== undefined) args.push('-sess_in', options.sessIn);
  if (options.sessOut !== undefined) args.push('-sess_out', options.sessOut);
  const client = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  client.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  client.stderr.resume();
  const host = options.servername ?? 'localhost';
  client.stdin.end(`GET ${options.path ?? '/pid'} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  const timer = setTimeout(() => client.kill('SIGKILL'), 10_000);
  const code = await new Promise<number | null>((resolve) => client.once('close', resolve));
  clearTimeout(timer);
  const output = Buffer.concat(out).toString();
  if (code !== 0) throw new Error(`openssl s_client exited with ${code}:\n${output}`);
  const pem = output.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
  // s_client prints its own lines straight after the body: take Content-Length bytes of it.
  const response = output.slice(output.search(/HTTP\/1\.1 \d{3}/));
  const blank = response.indexOf('\r\n\r\n');
  const length = Number(/^content-length: *(\d+)/im.exec(response)?.[1] ?? 0);
  return {
    reused: /^Reused, /m.test(output),
    body: blank === -1 ? '' : response.slice(blank + 4, blank + 4 + length),
    fingerprint: pem === null ? '' : new X509Certificate(pem[0]).fingerprint256,
    output,
  };
}
