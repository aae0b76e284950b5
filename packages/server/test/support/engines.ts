/**
 * Test servers for either engine: `net` (NetEngine) or `uws` (UwsEngine), on 127.0.0.1
 * port 0, with a logger that collects what it logs. Every server started here is closed by
 * `cleanupEngines()`, which `useEngineCleanup()` runs after each test of the suite that calls it.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { ErrorCode } from '../../src/errors.js';
import type { Handler } from '../../src/http/api.js';
import type { HttpOptions } from '../../src/http/options.js';
import type { NetEngine } from '../../src/net/engine.js';
import type { Logger } from '../../src/scheduler/scheduler.js';
import { UwsEngine } from '../../src/uws/engine.js';
import { destroyAllClients, RawClient, type ReadOptions } from './raw-client.js';
import { netEngineFor } from './servers.js';

export type EngineName = 'net' | 'uws';
export const ENGINES: readonly EngineName[] = ['net', 'uws'];

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
  readonly engine: EngineName;
  readonly port: number;
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  /** The server object: a NetEngine on `net`, a UwsEngine on `uws`. */
  readonly net: NetEngine | null;
  readonly uws: UwsEngine | null;
  /** Everything the server's logger was given, in order. */
  readonly logged: LoggedError[];
  /** The codes logged so far. */
  codes(): ErrorCode[];
  /** Opens a raw connection to the server. */
  connect(options?: ReadOptions): Promise<RawClient>;
  /** Closes the server (grace 0 unless told). Idempotent: the first call's grace wins. */
  close(graceMs?: number): Promise<void>;
}

const openServers = new Set<EngineServer>();

/** Starts a server of `engine` for `handler` on 127.0.0.1, port 0. */
export async function startEngine(engine: EngineName, handler: Handler, options: EngineOptions = {}): Promise<EngineServer> {
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
    url: `http://127.0.0.1:${port}`,
    net,
    uws,
    logged,
    codes: () => logged.map((entry) => entry.code),
    connect: (connectOptions) => RawClient.connect(port, connectOptions),
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
  for (const agent of openAgents) agent.destroy();
  openAgents.clear();
  await Promise.all([...openServers].map((server) => server.close()));
}

/** Registers `cleanupEngines` after each test of the enclosing suite (call it inside `describe`). */
export function useEngineCleanup(): void {
  afterEach(cleanupEngines);
}

// ---- node:http client ------------------------------------------------------------------------

const openAgents = new Set<Agent>();

/** A keep-alive agent with one socket, destroyed by `cleanupEngines()`. */
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

/** One request through node:http; rejects on a socket error or after the deadline. */
export function fetchFrom(server: EngineServer, path: string, options: FetchOptions = {}): Promise<FetchedResponse> {
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
