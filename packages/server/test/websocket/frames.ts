import type { PercoreError } from '../../src/errors.js';
import type { FrameSink } from '../../src/websocket/frame-parser.js';

/**
 * A client's side of WebSocket framing, for tests: builds frames a client sends (masked by
 * default), good or bad, with any opcode, RSV bits, FIN, length encoding or declared length.
 */

export interface ClientFrame {
  opcode: number;
  payload?: Buffer | string;
  /** Default true. */
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** Default true (RFC 6455 5.1: clients mask). */
  masked?: boolean;
  /** The masking key; default a fixed, non-trivial one. */
  maskKey?: Buffer;
  /** The length field's encoding: 7, 16 or 64 bits; default the minimal one. */
  lengthBits?: 7 | 16 | 64;
  /** The length the header declares, when it should differ from the payload's (e.g. a huge one with no payload). */
  declaredLength?: number | bigint;
}

export const defaultMaskKey = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** XORs `payload` with `maskKey` into a new Buffer (RFC 6455 5.3); the same call unmasks. */
export function maskBytes(payload: Buffer, maskKey: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = payload[i]! ^ maskKey[i & 3]!;
  return out;
}

/** One frame's bytes as a client sends them. */
export function clientFrame(frame: ClientFrame): Buffer {
  const payload = typeof frame.payload === 'string' ? Buffer.from(frame.payload) : (frame.payload ?? Buffer.alloc(0));
  const masked = frame.masked ?? true;
  const maskKey = frame.maskKey ?? defaultMaskKey;
  const length = BigInt(frame.declaredLength ?? payload.length);
  const bits = frame.lengthBits ?? (length < 126n ? 7 : length < 0x10000n ? 16 : 64);

  const b0 =
    ((frame.fin ?? true) ? 0x80 : 0) | (frame.rsv1 ? 0x40 : 0) | (frame.rsv2 ? 0x20 : 0) | (frame.rsv3 ? 0x10 : 0) | (frame.opcode & 0x0f);
  const maskBit = masked ? 0x80 : 0;
  let header: Buffer;
  if (bits === 7) {
    header = Buffer.from([b0, maskBit | Number(length)]);
  } else if (bits === 16) {
    header = Buffer.alloc(4);
    header[0] = b0;
    header[1] = maskBit | 126;
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = b0;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(length, 2);
  }
  return masked ? Buffer.concat([header, maskKey, maskBytes(payload, maskKey)]) : Buffer.concat([header, payload]);
}

/** Several frames back to back. */
export function clientFrames(...frames: ClientFrame[]): Buffer {
  return Buffer.concat(frames.map(clientFrame));
}

export interface Feeding {
  name: string;
  chunks: Buffer[];
}

/**
 * The ways a test feeds `bytes`: whole, byte by byte, and split at two seeded random points.
 * Each feeding gets fresh copies (the parser unmasks in place).
 */
export function* feedings(bytes: Buffer, seed = 1): Generator<Feeding> {
  yield { name: 'whole', chunks: [Buffer.from(bytes)] };
  yield { name: 'byte by byte', chunks: Array.from(bytes, (byte) => Buffer.from([byte])) };
  let state = seed * 2654435761;
  const random = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  for (let round = 0; round < 2 && bytes.length > 1; round++) {
    const a = 1 + random(bytes.length - 1);
    const b = 1 + random(bytes.length - 1);
    const cuts = [...new Set([a, b])].sort((x, y) => x - y);
    const chunks: Buffer[] = [];
    let start = 0;
    for (const cut of [...cuts, bytes.length]) {
      chunks.push(Buffer.from(bytes.subarray(start, cut)));
      start = cut;
    }
    yield { name: `split at ${cuts.join(', ')}`, chunks };
  }
}

export type SinkEvent =
  | { type: 'message'; data: Buffer; isBinary: boolean }
  | { type: 'compressedFragment'; payload: Buffer; isBinary: boolean; fin: boolean }
  | { type: 'ping'; payload: Buffer }
  | { type: 'pong'; payload: Buffer }
  | { type: 'close'; code: number; reason: string }
  | { type: 'fail'; error: PercoreError; closeCode: number };

/** A FrameSink that records what it is told (keeping the parser's Buffers, to catch later writes to them); `onEvent` runs after each, e.g. to pause the parser. */
export class RecordingSink implements FrameSink {
  readonly events: SinkEvent[] = [];
  onEvent: ((event: SinkEvent) => void) | null = null;

  message(data: Buffer, isBinary: boolean): void {
    this.record({ type: 'message', data, isBinary });
  }
  compressedFragment(payload: Buffer, isBinary: boolean, fin: boolean): void {
    this.record({ type: 'compressedFragment', payload, isBinary, fin });
  }
  ping(payload: Buffer): void {
    this.record({ type: 'ping', payload });
  }
  pong(payload: Buffer): void {
    this.record({ type: 'pong', payload });
  }
  close(code: number, reason: string): void {
    this.record({ type: 'close', code, reason });
  }
  fail(error: PercoreError, closeCode: number): void {
    this.record({ type: 'fail', error, closeCode });
  }

  private record(event: SinkEvent): void {
    this.events.push(event);
    this.onEvent?.(event);
  }
}
