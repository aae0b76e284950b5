import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { bitString, boolean, explicit, implicit, integer, octetString, oid, sequence, set, utf8String, x509Time } from './der.js';

/** A throwaway certificate and its key, PEM, for `percore serve --tls-self-signed`. */
export interface SelfSignedCertificate {
  cert: string;
  key: string;
  /** SHA-256 of the DER certificate as `openssl x509 -fingerprint -sha256` prints it: upper-case hex pairs joined by ':'. */
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
}

export const SELF_SIGNED_NAMES = { commonName: 'localhost', dns: ['localhost'], ips: ['127.0.0.1', '::1'] } as const;
/** Valid from an hour ago (a client's clock a little behind still accepts it) for 30 days. */
export const SELF_SIGNED_BACKDATE_MS = 60 * 60 * 1000;
export const SELF_SIGNED_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

const OIDS = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/**
 * An X.509 v3 certificate (RFC 5280) for localhost, 127.0.0.1 and ::1 on a new P-256 key, signed
 * by that key: made with node:crypto and the DER writer, so no openssl is needed.
 */
export function makeSelfSignedCertificate(now: Date = new Date()): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const notBefore = new Date(Math.floor((now.getTime() - SELF_SIGNED_BACKDATE_MS) / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + SELF_SIGNED_BACKDATE_MS + SELF_SIGNED_LIFETIME_MS);
  const signatureAlgorithm = sequence(oid(OIDS.ecdsaWithSha256)); // RFC 5758 3.2: no parameters
  const name = sequence(set(sequence(oid(OIDS.commonName), utf8String(SELF_SIGNED_NAMES.commonName))));
  const tbsCertificate = sequence(
    explicit(0, integer(2)), // v3
    integer(serialNumber()),
    signatureAlgorithm,
    name, // issuer: self-signed, so the subject
    sequence(x509Time(notBefore), x509Time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions())),
  );
  // node signs EC keys as DER ECDSA-Sig-Value { r, s }, the form RFC 5758 3.2 puts in the BIT STRING.
  const signature = sign('sha256', tbsCertificate, privateKey);
  const der = sequence(tbsCertificate, signatureAlgorithm, bitString(signature));
  const cert = toPem('CERTIFICATE', der);
  return {
    cert,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    fingerprint256: new X509Certificate(der).fingerprint256,
    notBefore,
    notAfter,
  };
}

/** RFC 5280 4.1.2.2: positive, at most 20 bytes, unpredictable. 16 random bytes, top bit off and the next on, so DER keeps all 16. */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

function extensions(): Buffer[] {
  const altNames = [
    ...SELF_SIGNED_NAMES.dns.map((dns) => implicit(2, Buffer.from(dns, 'ascii'))), // dNSName [2] IA5String
    ...SELF_SIGNED_NAMES.ips.map((ip) => implicit(7, ipBytes(ip))), // iPAddress [7] OCTET STRING
  ];
  return [
    // RFC 5280 4.2.1.6: with a subject CN present the extension need not be critical.
    extension(OIDS.subjectAltName, false, sequence(...altNames)),
    // cA FALSE is the DEFAULT, so DER leaves it out: an empty SEQUENCE.
    extension(OIDS.basicConstraints, true, sequence()),
    // digitalSignature is bit 0: one byte 0x80 with 7 unused bits (X.690 11.2.2 drops trailing zero bits).
    extension(OIDS.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
    extension(OIDS.extKeyUsage, false, sequence(oid(OIDS.serverAuth))),
  ];
}

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address in network order. */
function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  if (isIP(address) !== 6 || address.includes('.')) throw new RangeError(`not an IPv4 or plain IPv6 address: ${address}`);
  const [head = '', tail = ''] = address.split('::');
  const groups = (text: string) => (text === '' ? [] : text.split(':'));
  const left = groups(head);
  const right = address.includes('::') ? groups(tail) : [];
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return Buffer.from(all.map((group) => group.padStart(4, '0')).join(''), 'hex');
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
