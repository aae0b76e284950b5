/**
 * The load client's connection: the opening handshake written by hand on node:net (RFC 6455 4.1),
 * then frames through FrameDecoder. Pings are answered and a close frame or a lost connection is an
 * error: a benchmark connection never closes while it is measured.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { FrameDecoder, maskedFrame, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, type FrameHandler } from './frames.js';

/** RFC 6455 1.3: the GUID the server appends to the key before hashing. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 4.2.2: the Sec-WebSocket-Accept a server must answer the key with. */
export function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}${WEBSOCKET_GUID}`).digest('base64');
}

/** The client's opening handshake (RFC 6455 4.1): a GET with the upgrade fields and a fresh 16-byte key. */
export function handshakeRequest(host: string, port: number, path: string, key: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

/**
 * Checks the server's handshake response head (up to the blank line): RFC 6455 4.1, the client
 * must see 101 and the Sec-WebSocket-Accept of its key, else fail the connection. Throws the reason.
 */
export function checkHandshakeResponse(head: string, key: string): void {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '');
  if (status?.[1] !== '101') throw new Error(`the server answered the upgrade with "${lines[0] ?? ''}", not 101`);
  const accept = lines
    .slice(1)
    .map((line) => /^sec-websocket-accept:\s*(\S+)\s*$/i.exec(line)?.[1])
    .find((value) => value !== undefined);
  if (accept !== acceptFor(key)) throw new Error(`Sec-WebSocket-Accept is ${accept ?? 'missing'}, expected ${acceptFor(key)}`);
}

export interface OpenOptions {
  host: string;
  port: number;
  path: string;
  /** The source address (127.0.0.x), to spread many connections over more 4-tuples. */
  localAddress?: string;
  /** Gather payloads (the echo row checks them) or only count frames (the fan-out's subscribers). */
  keepPayload: boolean;
  /** Every text, binary or continuation frame. */
  onFrame: FrameHandler;
  /** The connection failed after the handshake: a close frame, a protocol error, or it was lost. */
  onError: (error: Error) => void;
}

const EMPTY_PONG = maskedFrame(OPCODE_PONG, new Uint8Array(0));

/** An open benchmark WebSocket: write pre-built frames to `socket`; `close` ends it without an error. */
export interface BenchSocket {
  readonly socket: Socket;
  close(): void;
}

/** Opens one WebSocket; resolves once the handshake is checked (within 10 s). */
export function openWebSocket(o: OpenOptions): Promise<BenchSocket> {
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: o.host, port: o.port, ...(o.localAddress !== undefined ? { localAddress: o.localAddress } : {}) });
    socket.setNoDelay(true);
    let open = false;
    let closing = false;
    let head: Buffer = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      if (closing) return;
      closing = true;
      if (open) o.onError(error);
      else reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`no handshake answer from ${o.host}:${o.port}${o.path} within 10 s`)), 10_000);
    const decoder = new FrameDecoder((opcode, fin, payload, length) => {
      if (opcode === OPCODE_PING) socket.write(length === 0 ? EMPTY_PONG : maskedFrame(OPCODE_PONG, payload ?? Buffer.alloc(0)));
      else if (opcode === OPCODE_CLOSE)
        fail(new Error(`the server sent a close frame${payload && length >= 2 ? ` (code ${payload.readUInt16BE(0)})` : ''}`));
      else if (opcode !== OPCODE_PONG) o.onFrame(opcode, fin, payload, length);
    }, o.keepPayload);
    const feed = (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (error) {
        fail(error as Error);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      if (open) return feed(chunk);
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16_384) fail(new Error('the handshake response head is past 16 KiB'));
        return;
      }
      clearTimeout(timer);
      try {
        checkHandshakeResponse(head.toString('latin1', 0, end), key);
      } catch (error) {
        return fail(error as Error);
      }
      open = true;
      const rest = head.subarray(end + 4);
      head = Buffer.alloc(0);
      resolve({
        socket,
        close: () => {
          closing = true;
          socket.destroy();
        },
      });
      if (rest.length > 0) feed(rest);
    });
    socket.on('error', (error) => fail(error));
    socket.on('close', () => {
      clearTimeout(timer);
      fail(new Error(open ? 'the server closed the connection' : 'the connection closed during the handshake'));
    });
    socket.write(handshakeRequest(o.host, o.port, o.path, key));
  });
}
