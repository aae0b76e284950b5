/** The run's one certificate: ECDSA P-256, self-signed, made with openssl in a temp dir (no key is kept). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

export interface Certificate {
  dir: string;
  certFile: string;
  keyFile: string;
  /** For the report: "ECDSA P-256 (prime256v1), CN=localhost, SHA-256 AB:CD:..." */
  description: string;
  remove(): void;
}

export function makeCertificate(): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'percore-bench-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost'].concat([
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ]),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    remove();
    const stderr = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim();
    throw new Error(`openssl could not make the certificate (apt-get install openssl): ${stderr}`);
  }
  const x509 = new X509Certificate(readFileSync(certFile));
  const key = x509.publicKey.asymmetricKeyDetails;
  const description = `${x509.publicKey.asymmetricKeyType === 'ec' ? 'ECDSA' : x509.publicKey.asymmetricKeyType} ${key?.namedCurve ?? ''}, ${x509.subject.trim()}, SHA-256 ${x509.fingerprint256}`;
  return { dir, certFile, keyFile, description, remove };
}
