import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsOptions } from 'node:tls';
import type { AppOptions, TemplatedApp } from 'uws-node18-23';
import { PercoreError } from '../errors.js';
import { checkTlsOptions, type TransportOptions } from '../scheduler/transport.js';
import type { Uws } from './load.js';

/** The node:tls options uWS can take: it reads a key, a certificate chain and a CA from files. */
const UWS_TLS_OPTIONS = new Set(['key', 'cert', 'ca', 'passphrase']);

/**
 * The app for the transport: `App()` for plain TCP, `SSLApp` under TLS. uWS takes file names
 * only, so the same PEM contents the net engine takes are written to a private temporary
 * directory (0700, files 0600), read by uWS while the app is made, and removed at once.
 * Throws PERCORE_ERR_TLS_CONFIG for what node:tls or uWS refuses, and PERCORE_ERR_INVALID_OPTION
 * for an ALPN map (uWS negotiates no ALPN), SNI certificates, or a TLS option uWS lacks.
 */
export function makeApp(uws: Uws, transport: TransportOptions | undefined): TemplatedApp {
  if (transport === undefined) return uws.App();
  if (transport.alpn !== undefined) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'transport.alpn runs on the net engine: uWebSockets.js has no ALPN map');
  }
  if (transport.sni !== undefined) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'transport.sni runs on the net engine: the uws engine serves one certificate');
  }
  const tls = transport.tls;
  if (tls === undefined) return uws.App();
  checkTlsOptions(tls);
  const unsupported = Object.keys(tls).filter((name) => !UWS_TLS_OPTIONS.has(name) && tls[name as keyof TlsOptions] !== undefined);
  if (unsupported.length > 0) {
    throw new PercoreError(
      'PERCORE_ERR_INVALID_OPTION',
      `the uws engine takes only key, cert, ca and passphrase in transport.tls, not ${unsupported.join(', ')}`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'percore-tls-'));
  try {
    const options: AppOptions = {
      key_file_name: writePem(dir, 'key.pem', tls.key, 'key'),
      cert_file_name: writePem(dir, 'cert.pem', tls.cert, 'cert'),
    };
    if (tls.ca !== undefined) options.ca_file_name = writePem(dir, 'ca.pem', tls.ca, 'ca');
    if (tls.passphrase !== undefined) options.passphrase = tls.passphrase;
    try {
      return uws.SSLApp(options);
    } catch (error) {
      throw new PercoreError('PERCORE_ERR_TLS_CONFIG', `uWebSockets.js could not load the key or certificate (${(error as Error).message})`, {
        cause: error,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes PEM contents (a string, a Buffer, or a list of them: concatenated) to a file only we can read. */
function writePem(dir: string, file: string, value: unknown, name: string): string {
  const parts = Array.isArray(value) ? value : [value];
  const pem = parts.map((part) => {
    if (typeof part === 'string') return part;
    if (Buffer.isBuffer(part)) return part.toString('latin1');
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `the uws engine takes transport.tls.${name} as PEM strings or Buffers`);
  });
  const path = join(dir, file);
  writeFileSync(path, pem.map((text) => (text.endsWith('\n') ? text : `${text}\n`)).join(''), { mode: 0o600 });
  return path;
}
