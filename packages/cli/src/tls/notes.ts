import type { CliConfig } from '../config.js';

/** The start-up line's words for what is served over TLS, or null for plain HTTP. */
export function tlsNote(config: Pick<CliConfig, 'cert' | 'tlsSelfSigned' | 'engine' | 'http2'>): string | null {
  if (config.cert === null && !config.tlsSelfSigned) return null;
  // uWS negotiates no ALPN: its TLS is HTTP/1.1 whatever --no-http2 says.
  if (config.engine === 'uws') return 'https, http/1.1 only (uws has no ALPN)';
  return config.http2 ? 'https, h2 + http/1.1' : 'https, http/1.1 only';
}

/** The line after the start-up line under --tls-self-signed: what to trust, and until when. */
export function selfSignedLine(fingerprint256: string, notAfter: Date): string {
  return (
    `percore: self-signed certificate for localhost, 127.0.0.1 and ::1, valid until ${notAfter.toISOString()}, ` +
    `SHA-256 fingerprint ${fingerprint256}`
  );
}
