import { expect } from 'chai';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { makeSelfSignedCertificate, SELF_SIGNED_BACKDATE_MS, SELF_SIGNED_LIFETIME_MS } from '../../src/tls/self-signed.js';
import { hasOpenssl, INPUT, openssl } from './openssl.js';

describe('makeSelfSignedCertificate', () => {
  const now = new Date(Date.UTC(2026, 11, 2, 17, 30, 15, 500));

  it('makes a certificate node:crypto reads: signed by its own key, for localhost, 127.0.0.1 and ::1', () => {
    const made = makeSelfSignedCertificate(now);
    const cert = new X509Certificate(made.cert);
    const key = createPrivateKey(made.key);
    expect(key.asymmetricKeyType).to.equal('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).to.equal('prime256v1');
    expect(cert.verify(createPublicKey(key))).to.equal(true);
    expect(cert.checkPrivateKey(key)).to.equal(true);
    expect(cert.checkHost('localhost')).to.equal('localhost');
    expect(cert.checkHost('example.com')).to.equal(undefined);
    expect(cert.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(cert.checkIP('::1')).to.equal('::1');
    expect(cert.checkIP('127.0.0.2')).to.equal(undefined);
    expect(cert.subject).to.equal('CN=localhost');
    expect(cert.issuer).to.equal('CN=localhost');
    expect(cert.ca).to.equal(false);
    expect(cert.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.1']); // node's keyUsage is the extended key usage
    expect(made.fingerprint256)
      .to.equal(cert.fingerprint256)
      .and.match(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('is valid from an hour before now for 30 days, in whole seconds', () => {
    const made = makeSelfSignedCertificate(now);
    const cert = new X509Certificate(made.cert);
    const from = new Date(Date.UTC(2026, 11, 2, 16, 30, 15));
    expect(made.notBefore).to.deep.equal(from);
    expect(made.notBefore.getTime()).to.equal(Math.floor((now.getTime() - SELF_SIGNED_BACKDATE_MS) / 1000) * 1000);
    expect(made.notAfter.getTime()).to.equal(from.getTime() + SELF_SIGNED_BACKDATE_MS + SELF_SIGNED_LIFETIME_MS);
    expect(new Date(cert.validFrom)).to.deep.equal(made.notBefore);
    expect(new Date(cert.validTo)).to.deep.equal(new Date(Date.UTC(2027, 0, 1, 17, 30, 15)));
  });

  it('has a new key and a random positive 16-byte serial each time', () => {
    const serials = new Set<string>();
    const keys = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const made = makeSelfSignedCertificate(now);
      const serial = new X509Certificate(made.cert).serialNumber;
      expect(serial).to.match(/^[4-7][0-9A-F]{31}$/);
      serials.add(serial);
      keys.add(made.key);
    }
    expect(serials.size).to.equal(8);
    expect(keys.size).to.equal(8);
  });

  it('is what openssl reads: v3, ecdsa-with-SHA256, the extensions, the same fingerprint, and it verifies', function () {
    if (!hasOpenssl()) this.skip(); // no openssl command here to parse with
    const made = makeSelfSignedCertificate(now);
    const text = openssl(['x509', '-noout', '-text'], made.cert);
    expect(text).to.include('Version: 3 (0x2)');
    expect(text).to.match(/Signature Algorithm: ecdsa-with-SHA256[\s\S]*Signature Algorithm: ecdsa-with-SHA256/);
    expect(text).to.include('Issuer: CN = localhost').and.include('Subject: CN = localhost');
    expect(text).to.include('Not Before: Dec  2 16:30:15 2026 GMT').and.include('Not After : Jan  1 17:30:15 2027 GMT');
    expect(text).to.include('NIST CURVE: P-256');
    expect(text).to.include('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(text).to.match(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).to.match(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).to.match(/X509v3 Extended Key Usage: \s*TLS Web Server Authentication\n/);
    const fingerprint = openssl(['x509', '-noout', '-fingerprint', '-sha256'], made.cert).trim();
    expect(fingerprint).to.equal(`sha256 Fingerprint=${made.fingerprint256}`);
    // As its own CA, at times inside and outside its validity (-attime, so today's date doesn't matter).
    const verify = (seconds: number) => openssl(['verify', '-attime', String(seconds), '-CAfile', INPUT, INPUT], made.cert);
    expect(verify(Math.floor(now.getTime() / 1000))).to.match(/: OK\n$/);
    expect(() => verify(Math.floor(made.notAfter.getTime() / 1000) + 60), 'after notAfter').to.throw(/certificate has expired/);
    expect(() => verify(Math.floor(made.notBefore.getTime() / 1000) - 60), 'before notBefore').to.throw(/not yet valid/);
  });
});
