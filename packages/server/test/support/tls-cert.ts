/**
 * A self-signed certificate for localhost and 127.0.0.1, made with the openssl CLI the first time
 * a test asks for one, in a temporary directory removed when the process exits. No key is ever
 * committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  /** PEM contents. */
  readonly key: string;
  readonly cert: string;
  /** The same, as files (for openssl s_client and the like). */
  readonly keyFile: string;
  readonly certFile: string;
}

let made: TestCertificate | null = null;

/** The process's test certificate (one RSA-2048 key, valid for a day). */
export function testCertificate(): TestCertificate {
  if (made !== null) return made;
  const dir = mkdtempSync(join(tmpdir(), 'percore-test-cert-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  made = { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), keyFile, certFile };
  return made;
}

/** The test key encrypted (AES-256) under `passphrase`, as PEM. */
export function encryptedTestKey(passphrase: string): string {
  return execFileSync('openssl', ['pkey', '-in', testCertificate().keyFile, '-aes256', '-passout', `pass:${passphrase}`], {
    encoding: 'utf8',
  });
}

/** Whether the openssl CLI runs here. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
