import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext, type TLSSocket, type TlsOptions } from 'node:tls';
import { PercoreError } from '../errors.js';
import type { TaskFactory } from './task.js';

/**
 * What lies below the protocol: plain TCP (the default), or TLS (node:tls) with an ALPN map
 * (RFC 7301). Tornado's TCPServer(ssl_options), Go's TLSNextProto.
 */
export interface TransportOptions {
  /**
   * Serve TLS with these node:tls options: `key` and `cert` (PEM strings or Buffers) or `pfx`,
   * and optionally `ca`, `passphrase`, `minVersion`, `ciphers`... Without it, plain TCP.
   * `handshakeTimeout` defaults to 10 s. ALPN is set from `alpn`, not here.
   */
  tls?: TlsOptions;
  /**
   * ALPN protocol name → the factory for connections that negotiate it, in the server's order
   * of preference. The listener's own factory serves `http/1.1` (offered last unless named here)
   * and clients that offer no ALPN. Needs `tls`.
   */
  alpn?: Record<string, TaskFactory>;
  /**
   * Certificates by the name a client asks for (SNI, RFC 6066 3): a server name, or `*.example.com`
   * for any name one label under example.com, → node:tls options (`key`, `cert`, ...) for it.
   * Names match without regard to case; an exact name wins over a wildcard. A client that sends
   * no name, or one not listed, gets `tls`'s certificate. Needs `tls`; net engine only.
   */
  sni?: Record<string, TlsOptions>;
}

/** The transport's settings, checked; `null` for plain TCP. */
export interface TlsTransport {
  readonly options: TlsOptions;
  /** Factories by ALPN name; a null-prototype record, so names like `constructor` are only names. */
  readonly alpn: Readonly<Record<string, TaskFactory>>;
  /** The SNI certificates, checked and loaded; null without `sni`. */
  readonly sni: SniContexts | null;
}

/** Secure contexts by server name: exact names, and wildcards by the domain under the `*.`. */
export interface SniContexts {
  readonly exact: ReadonlyMap<string, SecureContext>;
  readonly wildcard: ReadonlyMap<string, SecureContext>;
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const HTTP11_ALPN = 'http/1.1';
/** ALPN is ours to set: one list, one map. */
const RESERVED_TLS_OPTIONS = ['ALPNProtocols', 'ALPNCallback'] as const;

/**
 * Checks the transport options and makes a secure context once to prove the key and
 * certificate load. Throws PERCORE_ERR_TLS_CONFIG (bad TLS options) or
 * PERCORE_ERR_INVALID_OPTION (the shape of the options).
 */
export function resolveTransport(transport: TransportOptions | undefined): TlsTransport | null {
  if (transport === undefined) return null;
  if (typeof transport !== 'object' || transport === null) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'transport must be an object { tls?, alpn? }');
  }
  const { tls, alpn, sni } = transport;
  if (tls === undefined) {
    if (alpn !== undefined)
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'transport.alpn needs transport.tls: ALPN is negotiated in the TLS handshake');
    if (sni !== undefined)
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'transport.sni needs transport.tls: its certificate is the default one');
    return null;
  }
  checkTlsOptions(tls);
  if (sni !== undefined && tls.SNICallback !== undefined) {
    throw new PercoreError('PERCORE_ERR_TLS_CONFIG', 'set SNI certificates with transport.sni or transport.tls.SNICallback, not both');
  }
  return { options: tls, alpn: checkAlpn(alpn ?? {}), sni: sni === undefined ? null : loadSni(sni) };
}

/**
 * Throws PERCORE_ERR_TLS_CONFIG, with a sentence, where node:tls could not serve with `tls`;
 * `where` names the options in it. Returns the secure context it made to prove them.
 */
export function checkTlsOptions(tls: TlsOptions, where = 'transport.tls'): SecureContext {
  if (typeof tls !== 'object' || tls === null) {
    throw new PercoreError('PERCORE_ERR_TLS_CONFIG', `${where} must be an object of node:tls options`);
  }
  for (const name of RESERVED_TLS_OPTIONS) {
    if (tls[name] !== undefined) throw new PercoreError('PERCORE_ERR_TLS_CONFIG', `set ALPN with transport.alpn, not ${where}.${name}`);
  }
  if (tls.pfx === undefined && (tls.key === undefined || tls.cert === undefined)) {
    throw new PercoreError(
      'PERCORE_ERR_TLS_CONFIG',
      `${where} needs \`key\` and \`cert\` (PEM contents, not file names: read them with fs.readFileSync) or \`pfx\``,
    );
  }
  try {
    return createSecureContext(tls);
  } catch (error) {
    throw new PercoreError('PERCORE_ERR_TLS_CONFIG', `node:tls refused the key or certificate of ${where} (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** A DNS name (RFC 1123 labels), optionally `*.` and one; checked on a lower-cased key. */
const SNI_NAME = /^(\*\.)?(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;

/** Checks and loads every SNI entry, naming the one at fault. */
function loadSni(sni: Record<string, TlsOptions>): SniContexts {
  if (typeof sni !== 'object' || sni === null) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'transport.sni must map server names to node:tls options');
  }
  const exact = new Map<string, SecureContext>();
  const wildcard = new Map<string, SecureContext>();
  for (const [name, options] of Object.entries(sni)) {
    const lower = name.toLowerCase();
    if (!SNI_NAME.test(lower) || lower.length > 253) {
      throw new PercoreError(
        'PERCORE_ERR_TLS_CONFIG',
        `transport.sni[${JSON.stringify(name)}]: a server name is a DNS name, or *. and one (one label deep)`,
      );
    }
    const where = `transport.sni[${JSON.stringify(name)}]`;
    if (options?.SNICallback !== undefined)
      throw new PercoreError('PERCORE_ERR_TLS_CONFIG', `${where}.SNICallback: an entry is one name's certificate`);
    const context = checkTlsOptions(options, where);
    const map = lower.startsWith('*.') ? wildcard : exact;
    const key = lower.startsWith('*.') ? lower.slice(2) : lower;
    if (map.has(key))
      throw new PercoreError('PERCORE_ERR_TLS_CONFIG', `${where}: the name is listed twice (names match without regard to case)`);
    map.set(key, context);
  }
  return { exact, wildcard };
}

/** The SNI context for a server name: exact, then `*.` one label up; undefined for the default. */
export function sniContextFor(sni: SniContexts, servername: string): SecureContext | undefined {
  const name = servername.toLowerCase().replace(/\.$/, '');
  const exact = sni.exact.get(name);
  if (exact !== undefined) return exact;
  const dot = name.indexOf('.');
  return dot > 0 ? sni.wildcard.get(name.slice(dot + 1)) : undefined;
}

function checkAlpn(alpn: Record<string, TaskFactory>): Record<string, TaskFactory> {
  if (typeof alpn !== 'object' || alpn === null) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'transport.alpn must map ALPN protocol names to task factories');
  }
  const checked: Record<string, TaskFactory> = Object.create(null);
  for (const [name, factory] of Object.entries(alpn)) {
    // RFC 7301 3.1: a protocol name is 1 to 255 bytes.
    const length = Buffer.byteLength(name);
    if (length < 1 || length > 255)
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `an ALPN name must be 1 to 255 bytes, got ${JSON.stringify(name)}`);
    if (typeof factory !== 'function')
      throw new PercoreError(
        'PERCORE_ERR_INVALID_OPTION',
        `transport.alpn[${JSON.stringify(name)}] must be a task factory (context) => Task`,
      );
    checked[name] = factory;
  }
  return checked;
}

/** The plain TCP server: allowHalfOpen, so a peer's FIN never closes our side before queued responses are written. */
export function createPlainServer(noDelay: boolean, onConnection: (socket: Socket) => void): Server {
  return createTcpServer({ allowHalfOpen: true, noDelay }, onConnection);
}

/**
 * The TLS server: `onSecure` gets each connection once its handshake is done; `onFailure` each
 * handshake that failed or timed out (its socket is destroyed).
 */
export function createSecureServer(
  transport: TlsTransport,
  noDelay: boolean,
  onSecure: (socket: TLSSocket) => void,
  onFailure: (error: Error) => void,
): Server {
  const names = Object.keys(transport.alpn);
  if (names.length > 0 && !names.includes(HTTP11_ALPN)) names.push(HTTP11_ALPN);
  const sni = transport.sni;
  const server = createTlsServer(
    {
      handshakeTimeout: DEFAULT_HANDSHAKE_TIMEOUT_MS,
      ...transport.options,
      ...(names.length > 0 ? { ALPNProtocols: names } : {}),
      // Session tickets stay the server's own (its ticket keys) whichever context a name picks:
      // OpenSSL encrypts and decrypts them with the initial context's keys.
      ...(sni !== null
        ? {
            SNICallback: (servername: string, done: (error: Error | null, context?: SecureContext) => void) =>
              done(null, sniContextFor(sni, servername)),
          }
        : {}),
      allowHalfOpen: true,
      noDelay,
    },
    onSecure,
  );
  server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    // node:tls reports a handshake timeout without closing the socket.
    socket.destroy();
    onFailure(error);
  });
  return server;
}

/** The factory for a connection: by its negotiated ALPN protocol, else the default. */
export function factoryFor(transport: TlsTransport, socket: TLSSocket, fallback: TaskFactory): TaskFactory {
  const protocol = socket.alpnProtocol;
  return (protocol && transport.alpn[protocol]) || fallback;
}
