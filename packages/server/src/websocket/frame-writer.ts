/**
 * Server frames (RFC 6455 5.2): never masked (5.1), lengths in the minimal encoding
 * (7 bits up to 125, then 16 bits up to 65535, then 64 bits).
 */

/** Payloads up to this size are copied behind their header into one Buffer: one write instead of two. */
const COPY_MAX_BYTES = 1024;

/** The size of the header for a payload of `payloadLength` bytes. */
function headerLength(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10;
}

/** Writes the header at `target[0]` and returns its size. */
function writeHeader(target: Buffer, opcode: number, payloadLength: number, fin: boolean, rsv1: boolean): number {
  target[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  if (payloadLength < 126) {
    target[1] = payloadLength;
    return 2;
  }
  if (payloadLength < 0x10000) {
    target[1] = 126;
    target.writeUInt16BE(payloadLength, 2);
    return 4;
  }
  target[1] = 127;
  target.writeUInt32BE(Math.floor(payloadLength / 0x100000000), 2);
  target.writeUInt32BE(payloadLength >>> 0, 6);
  return 10;
}

/** The 2, 4 or 10 byte header of an unmasked frame. */
export function frameHeader(opcode: number, payloadLength: number, fin = true, rsv1 = false): Buffer {
  const header = Buffer.allocUnsafe(headerLength(payloadLength));
  writeHeader(header, opcode, payloadLength, fin, rsv1);
  return header;
}

/** Header and payload in one Buffer when small (≤ 1 KiB), else [header, payload] without copying. */
export function encodeFrame(opcode: number, payload: Buffer, fin = true, rsv1 = false): Buffer | [Buffer, Buffer] {
  if (payload.length > COPY_MAX_BYTES) return [frameHeader(opcode, payload.length, fin, rsv1), payload];
  return whole(opcode, payload, fin, rsv1);
}

/** One Buffer always (for fan-out: encoded once, written to many sockets). */
export function encodeFrameWhole(opcode: number, payload: Buffer, rsv1 = false): Buffer {
  return whole(opcode, payload, true, rsv1);
}

function whole(opcode: number, payload: Buffer, fin: boolean, rsv1: boolean): Buffer {
  const frame = Buffer.allocUnsafe(headerLength(payload.length) + payload.length);
  const offset = writeHeader(frame, opcode, payload.length, fin, rsv1);
  payload.copy(frame, offset);
  return frame;
}

/**
 * A close frame's payload (RFC 6455 5.5.1): the code as 16 bits, then the UTF-8 reason; empty for
 * code 1005 (no code). The caller checks the code and the reason's length (`checkClose`).
 */
export function closePayload(code: number, reason: string): Buffer {
  if (code === 1005) return Buffer.alloc(0);
  const payload = Buffer.allocUnsafe(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2, 'utf8');
  return payload;
}
