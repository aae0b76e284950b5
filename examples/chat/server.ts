// A browser chat on every core: serveStatic serves the page (public/), and the WebSocket route /chat
// subscribes every socket to the topic 'chat'. A message from one page is published to every other
// page, in every worker: a worker's publish reaches its own subscribers and, through the primary, the
// other workers'. SIGHUP rolls the workers one at a time; their sockets close with 1001 (going away)
// and the page reconnects to a fresh worker.
//
// Run: node --import tsx examples/chat/server.ts --engine uws   then open http://127.0.0.1:8080/ in two tabs
//      kill -HUP <primary pid>   rolls the workers; the pages reconnect
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { rejectUpgrade, serve, serveStatic, type UpgradeRequest, type WebSocketBehavior } from '@percore/server';

const HELP = `Usage: node --import tsx examples/chat/server.ts [options]

  --port N            port to listen on (default 8080; 0 picks a free one)
  --host HOST         address to listen on (default 127.0.0.1)
  --workers N         worker processes (default 2)
  --engine net|uws    HTTP engine (default net; uws needs a uWebSockets.js binary)
  --grace-ms N        how long a draining worker waits for its connections (default 10000)
  --no-compression    refuse permessage-deflate (RFC 7692) on /chat; it is accepted by default
  --help              this text

SIGHUP to the primary rolls the workers; SIGTERM or Ctrl-C drains and stops.
`;

/** The longest name and message the server passes on; anything longer, or not of this shape, is dropped. */
const MAX_NAME = 32;
const MAX_TEXT = 500;
const TOPIC = 'chat';

interface Options {
  port: number;
  host: string;
  workers: number;
  engine: 'net' | 'uws';
  compression: boolean;
  graceMs: number;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      workers: { type: 'string', default: '2' },
      engine: { type: 'string', default: 'net' },
      'grace-ms': { type: 'string', default: '10000' },
      'no-compression': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const integer = (name: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${text}`);
    return value;
  };
  if (values.engine !== 'net' && values.engine !== 'uws') throw new Error(`--engine must be net or uws, got ${values.engine}`);
  return {
    port: integer('port', values.port, 0, 65535),
    host: values.host,
    workers: integer('workers', values.workers, 1, 64),
    engine: values.engine,
    compression: !values['no-compression'],
    graceMs: integer('grace-ms', values['grace-ms'], 0, 600_000),
  };
}

/**
 * A chat message as the page sends it: `{"name": "...", "text": "..."}`. Returns the message to
 * publish (re-encoded, so no other field passes through), or null for anything else.
 */
function chatMessage(data: Buffer, isBinary: boolean): string | null {
  if (isBinary) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { name, text } = parsed as Record<string, unknown>;
  if (typeof name !== 'string' || typeof text !== 'string') return null;
  const cleanName = name.trim().slice(0, MAX_NAME) || 'anonymous';
  const cleanText = text.trim();
  if (cleanText.length === 0 || cleanText.length > MAX_TEXT) return null;
  return JSON.stringify({ type: 'message', name: cleanName, text: cleanText });
}

/**
 * A page on another site must not open a socket with this site's cookies (cross-site WebSocket
 * hijacking, RFC 6455 10.2): a browser always sends Origin, and it must name this host.
 */
function sameOrigin(req: UpgradeRequest): boolean {
  const origin = req.header('origin');
  if (origin === undefined) return true; // not a browser: curl, a bot; it carries no one's cookies
  try {
    return new URL(origin).host === req.header('host');
  } catch {
    return false;
  }
}

function chatRoute(compression: boolean): WebSocketBehavior {
  return {
    upgrade: (req) => (sameOrigin(req) ? {} : rejectUpgrade(403, 'cross-origin WebSocket refused\n')),
    compression,
    maxPayloadLength: 4096,
    open: (socket) => {
      socket.subscribe(TOPIC);
      // The worker that holds this socket: the page shows it, so a roll is visible.
      socket.send(JSON.stringify({ type: 'welcome', worker: process.pid }));
    },
    message: (socket, data, isBinary) => {
      const message = chatMessage(data, isBinary);
      if (message === null) return;
      // Every other subscriber, in this worker and the others; never back to the sender, which
      // shows its own message itself.
      socket.publish(TOPIC, message, false, compression);
    },
  };
}

let options: Options | null;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${HELP}`);
  process.exit(2);
}
if (options === null) {
  console.log(HELP);
  process.exit(0);
}

const publicDir = fileURLToPath(new URL('public/', import.meta.url));
const handle = await serve({
  engine: options.engine,
  port: options.port,
  host: options.host,
  workers: options.workers,
  shutdownGraceMs: options.graceMs,
  // The page is small and changes while you edit it: always revalidate.
  handler: serveStatic(publicDir, { cacheControl: 'no-cache' }),
  websockets: { '/chat': chatRoute(options.compression) },
});
if (handle.role === 'primary') {
  console.log(`listening on ${handle.url} (${options.workers} workers, engine ${options.engine}, primary pid ${process.pid})`);
}
