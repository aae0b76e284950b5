import { expect } from 'chai';
import type { ErrorCode } from '../../src/errors.js';
import { NetEngine } from '../../src/net/engine.js';
import type { WebSocketBehavior, WebSocketConnection } from '../../src/websocket/api.js';
import { delay, destroyAllClients, RawClient } from '../support/raw-client.js';
import { clientFrame } from './frames.js';

/**
 * A WebSocket's liveness on the net engine, seen from a raw client: the automatic ping at half
 * the idle time, the idle close, and backpressure with its drain. idleTimeout is at least 8 s, so
 * each idle test runs two clients side by side, one the other's yardstick, instead of one test per
 * rule. maxLifetime is counted in minutes, too slow to test here.
 */

const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const IDLE_SECONDS = 8;
/**
 * Deadlines, counted from the open, not measurements: the ping is due at half the idle time, the
 * cut at the idle time (give or take the half-time check's resolution); each gets room for a loaded machine.
 */
const PING_DEADLINE_MS = IDLE_SECONDS * 750;
const CUT_DEADLINE_MS = IDLE_SECONDS * 1000 + 2500;

/** Milliseconds left until `deadline` (a Date.now() value), at least 1. */
const until = (deadline: number): number => Math.max(1, deadline - Date.now());
const Op = { Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** The server's whole frames at the start of `bytes` (RFC 6455 5.2: unmasked); a partial one at the end is left. */
function parseServerFrames(bytes: Buffer): ServerFrame[] {
  const frames: ServerFrame[] = [];
  let pos = 0;
  while (bytes.length >= pos + 2) {
    let length = bytes[pos + 1]! & 0x7f;
    let offset = pos + 2;
    if (length === 126) {
      if (bytes.length < offset + 2) break;
      length = bytes.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (bytes.length < offset + 8) break;
      length = Number(bytes.readBigUInt64BE(offset));
      offset += 8;
    }
    if (bytes.length < offset + length) break;
    frames.push({ opcode: bytes[pos]! & 0x0f, payload: bytes.subarray(offset, offset + length) });
    pos = offset + length;
  }
  return frames;
}

/** A raw WebSocket client that may answer the server's pings (RFC 6455 5.5.2) as they arrive. */
class WireClient {
  private answered = 0;
  private answering: NodeJS.Timeout | null = null;

  private constructor(
    readonly raw: RawClient,
    private readonly headLength: number,
  ) {}

  static async open(port: number, path: string): Promise<WireClient> {
    const raw = await RawClient.connect(port);
    await raw.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${SAMPLE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const response = await raw.readResponse();
    expect(response.status, response.text).to.equal(101);
    return new WireClient(raw, response.raw.length);
  }

  frames(): ServerFrame[] {
    return parseServerFrames(this.raw.received.subarray(this.headLength));
  }

  pings(): ServerFrame[] {
    return this.frames().filter((frame) => frame.opcode === Op.Ping);
  }

  /** Resolves once `count` frames of `opcode` have arrived; fails if the server closes first or after `timeoutMs`. */
  async waitFor(opcode: number, count: number, timeoutMs: number): Promise<ServerFrame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames().filter((frame) => frame.opcode === opcode);
      if (found.length >= count) return found;
      if (this.raw.serverClosed) throw new Error(`the server closed before ${count} frames of opcode ${opcode}`);
      if (Date.now() > deadline) throw new Error(`no ${count} frames of opcode ${opcode} within ${timeoutMs} ms`);
      await delay(5);
    }
  }

  /** From now on, answers every ping with a pong of its payload, until the connection closes. */
  answerPings(): void {
    this.answering = setInterval(() => {
      if (this.raw.serverClosed) return this.stopAnswering();
      const pings = this.pings();
      for (; this.answered < pings.length; this.answered++) {
        void this.raw.write(clientFrame({ opcode: Op.Pong, payload: pings[this.answered]!.payload })).catch(() => {});
      }
    }, 20);
  }

  stopAnswering(): void {
    if (this.answering !== null) clearInterval(this.answering);
    this.answering = null;
  }

  send(text: string): Promise<void> {
    return this.raw.write(clientFrame({ opcode: Op.Text, payload: text }));
  }
}

const servers: NetEngine[] = [];
const clients: WireClient[] = [];

async function start(routes: Record<string, WebSocketBehavior<any>>): Promise<number> {
  const logged: ErrorCode[] = [];
  const logger = { error: (code: ErrorCode) => logged.push(code) };
  const server = new NetEngine({ websockets: routes, handler: (_req, res) => res.end('http'), logger, scheduler: { timerResolutionMs: 10 } });
  servers.push(server);
  return (await server.listen({ host: '127.0.0.1', port: 0 })).port;
}

async function open(port: number, path: string): Promise<WireClient> {
  const client = await WireClient.open(port, path);
  clients.push(client);
  return client;
}

/** A route that records each socket's close code by the path it was opened on. */
function idleRoute(closes: Record<string, number[]>, extra: WebSocketBehavior = {}): WebSocketBehavior {
  return {
    idleTimeout: IDLE_SECONDS,
    message: (socket, message) => void socket.send(message, false),
    close: (socket, code) => void (closes[socket.path] ??= []).push(code),
    ...extra,
  };
}

describe('net: WebSocket liveness', function () {
  this.timeout(30_000);

  afterEach(async () => {
    for (const client of clients.splice(0)) client.stopAnswering();
    destroyAllClients();
    await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
  });

  describe('the idle timeout', () => {
    it('pings a silent client and cuts it (1006) when it never answers; without automatic pings it is cut unpinged', async () => {
      const closes: Record<string, number[]> = {};
      const port = await start({
        '/pinged': idleRoute(closes),
        '/unpinged': idleRoute(closes, { sendPingsAutomatically: false }),
      });
      const opened = Date.now();
      const [pinged, unpinged] = await Promise.all([open(port, '/pinged'), open(port, '/unpinged')]);

      // Half the idle time without a frame: an empty ping (RFC 6455 5.5.2).
      const [ping] = await pinged.waitFor(Op.Ping, 1, until(opened + PING_DEADLINE_MS));
      expect(ping!.payload.length).to.equal(0);
      expect(unpinged.raw.serverClosed).to.equal(false);

      expect(await pinged.raw.waitForClose(until(opened + CUT_DEADLINE_MS)), 'the unanswered client is cut').to.equal(true);
      expect(await unpinged.raw.waitForClose(until(opened + CUT_DEADLINE_MS)), 'the unpinged client is cut').to.equal(true);
      // Cut without a close frame: the close handler sees 1006 (RFC 6455 7.1.5).
      expect(closes).to.deep.equal({ '/pinged': [1006], '/unpinged': [1006] });
      expect(pinged.frames().map((frame) => frame.opcode)).to.deep.equal([Op.Ping]);
      expect(unpinged.frames()).to.deep.equal([]);
    });

    it('keeps a client that answers the pings open past the idle timeout', async () => {
      const closes: Record<string, number[]> = {};
      const port = await start({
        '/answers': idleRoute(closes),
        '/yardstick': idleRoute(closes, { sendPingsAutomatically: false }),
      });
      const answering = await open(port, '/answers');
      answering.answerPings();
      // Opened after the answering client: once it is cut, the answering one's idle time is up too.
      await delay(50);
      const opened = Date.now();
      const yardstick = await open(port, '/yardstick');

      expect(await yardstick.raw.waitForClose(until(opened + CUT_DEADLINE_MS)), 'the silent yardstick is cut').to.equal(true);
      await delay(300);
      expect(answering.raw.serverClosed, 'the answering client is still open').to.equal(false);
      expect(answering.pings().length).to.be.at.least(1);
      await answering.send('still here');
      const [echoed] = await answering.waitFor(Op.Text, 1, 3000);
      expect(echoed!.payload.toString()).to.equal('still here');
      expect(closes).to.deep.equal({ '/yardstick': [1006] });
    });
  });

  describe('backpressure', () => {
    it('grows getBufferedAmount() while the client does not read, and runs drain once it does', async () => {
      const CHUNK = 64 * 1024;
      const CHUNKS = 256; // 16 MiB: far more than the kernel's socket buffers hold
      const buffered: number[] = [];
      const drains: number[] = [];
      let socket: WebSocketConnection | null = null;
      const port = await start({
        '/flood': {
          maxBackpressure: 64 * 1024 * 1024,
          open: (opened) => void (socket = opened),
          message(flooded) {
            const chunk = Buffer.alloc(CHUNK, 0x5a);
            for (let i = 0; i < CHUNKS; i++) {
              flooded.send(chunk, true);
              buffered.push(flooded.getBufferedAmount());
            }
          },
          drain: (drained) => void drains.push(drained.getBufferedAmount()),
        },
      });
      const client = await open(port, '/flood');
      client.raw.pause();
      await client.send('flood');
      for (let waited = 0; buffered.length < CHUNKS && waited < 3000; waited += 5) await delay(5);
      expect(buffered.length).to.equal(CHUNKS);

      const peak = buffered[CHUNKS - 1]!;
      expect(peak, 'most of 16 MiB is buffered').to.be.above(8 * 1024 * 1024);
      expect(peak).to.be.above(buffered[0]!);
      for (let i = 1; i < CHUNKS; i++) expect(buffered[i]!, `send ${i}`).to.be.at.least(buffered[i - 1]!);
      await delay(200);
      expect(drains, 'no drain while the client does not read').to.deep.equal([]);
      expect(socket!.getBufferedAmount()).to.be.above(8 * 1024 * 1024);

      client.raw.resume();
      await client.raw.waitForBytes(CHUNKS * (CHUNK + 4), { timeoutMs: 10_000 });
      for (let waited = 0; drains.length === 0 && waited < 3000; waited += 5) await delay(5);
      expect(drains.length, 'drain ran').to.be.at.least(1);
      expect(drains[drains.length - 1]).to.equal(0);
      expect(socket!.getBufferedAmount()).to.equal(0);
      const binary = client.frames().filter((frame) => frame.opcode === Op.Binary);
      expect(binary.length).to.equal(CHUNKS);
      expect(binary.every((frame) => frame.payload.length === CHUNK && frame.payload[0] === 0x5a)).to.equal(true);
    });
  });
});
