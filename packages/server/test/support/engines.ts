/**
 * Test servers for either engine: `net` (NetEngine) or `uws` (UwsEngine), on 127.0.0.1
 * port 0, with a logger that collects what it logs; and `net-h2`, a NetEngine on TLS (the test
 * certificate) whose clients speak HTTP/2 (ALPN h2), for the suites that run on HTTP/2 too. Every server started here is closed by
 * `cleanupEngines()`, which `useEngineCleanup()` runs after each test of the suite that calls it.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { ClientHttp2Session } from 'node:http2';
import type { ErrorCode } from '../../src/errors.js';
import type { Handler } from '../../src/http/api.js';
import type { HttpOptions } from '../../src/http/options.js';
import { NetEngine } from '../../src/net/engine.js';
import type { Logger } from '../../src/scheduler/scheduler.js';
import { UwsEngine } from '../../src/uws/engine.js';
import { connectH2, destroyAllH2Clients, H2WireClient, type WireClient } from './h2-wire-client.js';
import { destroyAllClients, RawClient, type ReadOptions } from './raw-client.js';
import { netEngineFor } from './servers.js';
import { testCertificate } from './tls-cert.js';

export type EngineName = 'net' | 'uws';
/** An engine, or the net engine serving HTTP/2 over TLS. */
export type VariantName = EngineName | 'net-h2';
/** The two engines (HTTP/1.x on plain TCP). */
export const ENGINES: readonly EngineName[] = ['net', 'uws'];
/** The engines, and the net engine's HTTP/2 over TLS: what the shared behaviour suite runs on. */
export const VARIANTS: readonly VariantName[] = ['net', 'uws', 'net-h2'];

export interface EngineOptions extends HttpOptions {
  /** Milliseconds per tick of the timer wheel; 10 unless told, so short timeouts are sharp. */
  timerResolutionMs?: number;
}

export interface LoggedError {
  code: ErrorCode;
  message: string;
  error?: unknown;
}

export interface EngineServer {
  readonly engine: VariantName;
  readonly port: number;
  /** 'http://127.0.0.1:PORT' ('https://' on net-h2) */
  readonly url: string;
  /** The server object: a NetEngine on `net` and `net-h2`, a UwsEngine on `uws`. */
  readonly net: NetEngine | null;
  readonly uws: UwsEngine | null;
  /** Everything the server's logger was given, in order. */
  readonly logged: LoggedError[];
  /** The codes logged so far. */
  codes(): ErrorCode[];
  /** Opens a raw connection to the server (HTTP/1.x bytes; on net-h2, a TLS port that also speaks HTTP/1.1). */
  connect(options?: ReadOptions): Promise<RawClient>;
  /**
   * Opens a connection in the variant's protocol: a RawClient on net and uws, an H2WireClient
   * (the same HTTP/1.1-shaped requests, sent as HTTP/2 streams) on net-h2.
   */
  wire(options?: ReadOptions): Promise<WireClient>;
  /** Closes the server (grace 0 unless told). Idempotent: the first call's grace wins. */
  close(graceMs?: number): Promise<void>;
}

const openServers = new Set<EngineServer>();

/** Starts a server of `engine` for `handler` on 127.0.0.1, port 0. */
export async function startEngine(engine: VariantName, handler: Handler, options: EngineOptions = {}): Promise<EngineServer> {
  const logged: LoggedError[] = [];
  const logger: Logger = {
    error(code, message, error) {
      logged.push({ code, message, error });
    },
  };
  const merged = { timerResolutionMs: 10, logger, ...options };
  let net: NetEngine | null = null;
  let uws: UwsEngine | null = null;
  if (engine === 'net') {
    net = netEngineFor(handler, merged);
  } else if (engine === 'net-h2') {
    const { timerResolutionMs, logger: engineLogger, ...http } = merged;
    const { key, cert } = testCertificate();
    net = new NetEngine({ handler, http, transport: { tls: { key, cert } }, scheduler: { timerResolutionMs }, logger: engineLogger });
  } else {
    const { timerResolutionMs, logger: engineLogger, ...http } = merged;
    uws = new UwsEngine({ handler, http, scheduler: { timerResolutionMs }, logger: engineLogger });
  }
  const server = (net ?? uws)!;
  const port = (await server.listen({ port: 0, host: '127.0.0.1' })).port;
  const closeServer = (graceMs: number): Promise<void> => server.close({ graceMs });
  let closing: Promise<void> | null = null;
  const testServer: EngineServer = {
    engine,
    port,
    url: `${engine === 'net-h2' ? 'https' : 'http'}://127.0.0.1:${port}`,
    net,
    uws,
    logged,
    codes: () => logged.map((entry) => entry.code),
    connect: (connectOptions) => RawClient.connect(port, connectOptions),
    wire: (connectOptions) => (engine === 'net-h2' ? H2WireClient.connect(port, connectOptions) : RawClient.connect(port, connectOptions)),
    close(graceMs = 0) {
      closing ??= closeServer(graceMs).finally(() => openServers.delete(testServer));
      return closing;
    },
  };
  openServers.add(testServer);
  return testServer;
}

/** Destroys every raw client and keep-alive agent, then closes every server still open. */
export async function cleanupEngines(): Promise<void> {
  destroyAllClients();
  destroyAllH2Clients();
  for (const agent of openAgents) agent.destroy();
  openAgents.clear();
  for (const session of openSessions) session.destroy();
  openSessions.clear();
  await Promise.all([...openServers].map((server) => server.close()));
}

/** Registers `cleanupEngines` after each test of the enclosing suite (call it inside `describe`). */
export function useEngineCleanup(): void {
  afterEach(cleanupEngines);
}

// ---- node:http client ------------------------------------------------------------------------

const openAgents = new Set<Agent>();
/** On net-h2, the HTTP/2 session that stands for each keep-alive agent. */
const sessionsByAgent = new WeakMap<Agent, Promise<ClientHttp2Session>>();
const openSessions = new Set<ClientHttp2Session>();

/** A keep-alive agent with one socket, destroyed by `cleanupEngines()` (on net-h2, one HTTP/2 session). */
export function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  openAgents.add(agent);
  return agent;
}

export interface FetchedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The local port of the socket that carried the exchange (the same port: the same connection). */
  localPort: number;
}

export interface FetchOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  agent?: Agent;
  /** Milliseconds before the request fails. Default 5000. */
  timeoutMs?: number;
}

/**
 * One request through node:http (node:http2 on net-h2, where an agent stands for one session the
 * requests share); rejects on a socket error or after the deadline.
 */
export function fetchFrom(server: EngineServer, path: string, options: FetchOptions = {}): Promise<FetchedResponse> {
  if (server.engine === 'net-h2') return fetchOverH2(server, path, options);
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), localPort });
        });
      },
    );
    let localPort = 0;
    req.on('socket', (socket) => {
      if (socket.localPort !== undefined) localPort = socket.localPort;
      else socket.once('connect', () => (localPort = socket.localPort ?? 0));
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`node:http: no response to ${options.method ?? 'GET'} ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      reject(error);
    }
    req.on('error', fail);
    req.end(options.body);
  });
}

function sessionFor(server: EngineServer, agent: Agent | undefined): Promise<ClientHttp2Session> {
  const existing = agent === undefined ? undefined : sessionsByAgent.get(agent);
  if (existing !== undefined) return existing;
  const session = connectH2(server.port).then((made) => {
    openSessions.add(made);
    made.once('close', () => openSessions.delete(made));
    return made;
  });
  if (agent !== undefined) sessionsByAgent.set(agent, session);
  return session;
}

async function fetchOverH2(server: EngineServer, path: string, options: FetchOptions): Promise<FetchedResponse> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const session = await sessionFor(server, options.agent);
  const method = options.method ?? 'GET';
  try {
    return await new Promise<FetchedResponse>((resolve, reject) => {
      const headers: Record<string, string | number> = { ':method': method, ':path': path };
      for (const [name, value] of Object.entries(options.headers ?? {})) {
        if (name.toLowerCase() === 'host') headers[':authority'] = value;
        else headers[name.toLowerCase()] = value;
      }
      const stream = session.request(headers);
      const timer = setTimeout(() => {
        stream.close();
        reject(new Error(`node:http2: no response to ${method} ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      const chunks: Buffer[] = [];
      let responseHeaders: IncomingHttpHeaders = {};
      let status = 0;
      stream.on('response', (received) => {
        status = Number(received[':status']);
        responseHeaders = Object.fromEntries(Object.entries(received).filter(([name]) => !name.startsWith(':')));
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        clearTimeout(timer);
        resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks), localPort: session.socket?.localPort ?? 0 });
      });
      stream.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      stream.end(options.body);
    });
  } finally {
    if (options.agent === undefined) session.close();
  }
}
