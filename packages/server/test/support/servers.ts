/**
 * Test servers: a createHttpServer on 127.0.0.1, port 0, with a logger that collects what it
 * logs (so tests can assert on error codes and stderr stays quiet). Every server started here is
 * closed by `cleanup()`, which `useCleanup()` runs after each test of the suite that calls it.
 */
import type { ErrorCode } from '../../src/errors.js';
import type { Handler } from '../../src/http/api.js';
import type { Logger } from '../../src/scheduler/scheduler.js';
import type { HttpOptions } from '../../src/http/options.js';
import { NetEngine, type ConnectionOptions } from '../../src/net/engine.js';
import { destroyAllClients, RawClient, type ReadOptions } from './raw-client.js';

/** A net server's options as tests give them: the HTTP layer's, flat, with the connection limit and the wheel's tick. */
export interface HttpServerOptions extends HttpOptions, ConnectionOptions {
  timerResolutionMs?: number;
}

/** Splits the flat test options into the engine's layers. */
export function netEngineFor(handler: Handler, options: HttpServerOptions & { logger?: Logger }): NetEngine {
  const { maxConnections, noDelay, timerResolutionMs, logger, ...http } = options;
  return new NetEngine({ handler, http, connections: { maxConnections, noDelay }, scheduler: { timerResolutionMs }, logger });
}

export interface LoggedError {
  code: ErrorCode;
  message: string;
  error?: unknown;
}

export interface TestServer {
  readonly server: NetEngine;
  readonly port: number;
  /** Everything the server's logger was given, in order. */
  readonly logged: LoggedError[];
  /** The codes logged so far. */
  codes(): ErrorCode[];
  /** Opens a raw connection to the server. */
  connect(options?: ReadOptions): Promise<RawClient>;
  /** Closes the server now (grace 0): stops listening and drops every connection. Idempotent. */
  close(): Promise<void>;
}

const openServers = new Set<TestServer>();

/** Starts a server for `handler`. Timers tick every 10 ms unless told, so short timeouts are sharp. */
export async function startServer(handler: Handler, options: HttpServerOptions = {}): Promise<TestServer> {
  const logged: LoggedError[] = [];
  const logger: Logger = {
    error(code, message, error) {
      logged.push({ code, message, error });
    },
  };
  const server = netEngineFor(handler, { timerResolutionMs: 10, logger, ...options });
  const address = await server.listen({ port: 0, host: '127.0.0.1' });
  let closing: Promise<void> | null = null;
  const testServer: TestServer = {
    server,
    port: address.port,
    logged,
    codes: () => logged.map((entry) => entry.code),
    connect: (connectOptions) => RawClient.connect(address.port, connectOptions),
    close() {
      closing ??= server.close({ graceMs: 0 }).finally(() => openServers.delete(testServer));
      return closing;
    },
  };
  openServers.add(testServer);
  return testServer;
}

/** Runs `fn` with a fresh server, and closes the server (and its clients) however `fn` ends. */
export async function withServer<T>(handler: Handler, options: HttpServerOptions, fn: (server: TestServer) => Promise<T>): Promise<T> {
  const server = await startServer(handler, options);
  try {
    return await fn(server);
  } finally {
    destroyAllClients();
    await server.close();
  }
}

/** Destroys every raw client, then closes every server still open. */
export async function cleanup(): Promise<void> {
  destroyAllClients();
  await Promise.all([...openServers].map((server) => server.close()));
}

/** Registers `cleanup` after each test of the enclosing suite (call it inside `describe`). */
export function useCleanup(): void {
  afterEach(cleanup);
}

/** A promise with its resolve function outside: a gate a test opens when it is ready. */
export { deferred } from '../../src/util/deferred.js';

/** Rejects if `promise` has not settled within `ms`, so no await in a test can hang. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** `GET path HTTP/1.1` with a Host header and `extra` header lines (each ending in \r\n). */
export function get(path = '/', extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
}

export { delay, RawClient } from './raw-client.js';
