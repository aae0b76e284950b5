/**
 * Debian's Chromium (playwright-core) that trusts the test certificate by its key alone:
 * --ignore-certificate-errors-spki-list names the SHA-256 of its SubjectPublicKeyInfo, so any
 * other certificate would still be refused.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../static-clients/browser.js';
import { testCertificate } from './tls-cert.js';

/** base64(SHA-256(SPKI)) of the test certificate's public key, as Chromium's SPKI list wants it. */
export function testCertificateSpkiHash(): string {
  const spki = new X509Certificate(testCertificate().cert).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

export function launchChromiumTrustingTestCert(timeoutMs: number): Promise<Browser> {
  return launchChromium(timeoutMs, [`--ignore-certificate-errors-spki-list=${testCertificateSpkiHash()}`]);
}
