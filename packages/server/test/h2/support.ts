/**
 * HTTP/2 test servers (the net engine under TLS, HTTP/2 on by ALPN) and a node:http2 client
 * that trusts the test certificate. Every server and client made here is closed by `cleanupHttp2()`.
 */
import { connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { Handler } from '../../src/http/api.js';
import type { ExchangeObserver } from '../../src/http/observer.js';
import type { HttpOptions } from '../../src/http/options.js';
import type { Http2Options } from '../../src/h2/options.js';
import { NetEngine } from '../../src/net/engine.js';
import { collectingLogger } from '../support/sockets.js';
import { testCertificate } from '../support/tls-cert.js';

export interface Http2TestServer {
  readonly engine: NetEngine;
  readonly port: number;
  readonly url: string;
  /** What the server's logger was given, in order. */
  readonly logged: ReturnType<typeof collectingLogger>['entries'];
}

const servers = new Set<NetEngine>();
const clients = new Set<ClientHttp2Session>();

export async function startHttp2(
  handler: Handler,
  options: { http?: HttpOptions; http2?: boolean | Http2Options; observer?: ExchangeObserver } = {},
): Promise<Http2TestServer> {
  const { key, cert } = testCertificate();
  const logger = collectingLogger();
  const engine = new NetEngine({
    handler,
    http: options.http,
    http2: options.http2,
    observer: options.observer,
    transport: { tls: { key, cert } },
    scheduler: { timerResolutionMs: 10 },
    logger,
  });
  servers.add(engine);
  const { port } = await engine.listen({ port: 0 });
  return { engine, port, url: `https://localhost:${port}`, logged: logger.entries };
}

/** An HTTP/2 client session, connected (SETTINGS exchanged). */
export function http2Client(url: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(url, { ca: testCertificate().cert });
    clients.add(session);
    session.once('remoteSettings', () => resolve(session));
    session.once('error', reject);
  });
}

export interface Http2Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Sends one request and collects its whole response. */
export function http2Request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string | Buffer): Promise<Http2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    collect(stream).then(resolve, reject);
    if (body !== undefined) stream.end(body);
  });
}

/** A stream's response, whole. */
export function collect(stream: ClientHttp2Stream): Promise<Http2Reply> {
  return new Promise((resolve, reject) => {
    let responseHeaders: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (received) => (responseHeaders = received));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
  });
}

export async function cleanupHttp2(): Promise<void> {
  for (const client of clients) client.destroy();
  clients.clear();
  await Promise.all([...servers].map((engine) => engine.close({ graceMs: 0 })));
  servers.clear();
}
