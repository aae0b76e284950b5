/**
 * `node percore.js net|uws`: percore's createServer with /echo and /fanout WebSockets on 127.0.0.1
 * and a free port, from packages/server/dist (PERCORE_DIST: another build). Prints `listening PORT`;
 * a server that cannot start prints its error code and message on stderr and exits 1.
 */
import { pathToFileURL } from 'node:url';

/** The percore surface this script uses, as packages/server/dist exports it. */
interface PercoreSocket {
  send(message: Buffer, isBinary: boolean): unknown;
  subscribe(topic: string): boolean;
  publish(topic: string, message: Buffer, isBinary: boolean): boolean;
}
interface PercoreServer {
  listen(address: { port: number; host: string }): Promise<unknown>;
  readonly address: { port: number } | null;
}
interface PercoreModule {
  createServer(options: Record<string, unknown>): PercoreServer;
}

const engine = process.argv[2];
if (engine !== 'net' && engine !== 'uws') {
  process.stderr.write(`usage: percore.js net|uws, got ${String(engine)}\n`);
  process.exit(2);
}
const dist = process.env.PERCORE_DIST;
const url = dist ? pathToFileURL(`${dist.replace(/\/$/, '')}/index.js`) : new URL('../../../../server/dist/index.js', import.meta.url);

try {
  const { createServer } = (await import(url.href)) as PercoreModule;
  const server = createServer({
    engine,
    websockets: {
      '/echo': { message: (socket: PercoreSocket, message: Buffer, isBinary: boolean) => void socket.send(message, isBinary) },
      // A socket's publish reaches every other subscriber (uWS's rule), so the publisher gets none back.
      '/fanout': {
        open: (socket: PercoreSocket) => void socket.subscribe('t'),
        message: (socket: PercoreSocket, message: Buffer, isBinary: boolean) => void socket.publish('t', message, isBinary),
      },
    },
    handler: (_req: unknown, res: { status: number; end(body: string): void }) => {
      res.status = 404;
      res.end('WebSockets on /echo and /fanout\n');
    },
  });
  await server.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`listening ${server.address!.port}\n`);
} catch (error) {
  const { code, message } = error as { code?: string; message?: string };
  process.stderr.write(`${code ?? 'error'}: ${message ?? String(error)}\n`);
  process.exit(1);
}
