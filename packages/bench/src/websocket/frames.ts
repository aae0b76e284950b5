/**
 * The load client's WebSocket framing (RFC 6455 5.2): masked client frames built once, and a
 * byte-level decoder of the server's unmasked frames in the style of ws's receiver (numeric states,
 * each state consumes bytes or waits for more).
 */

export const OPCODE_CONTINUATION = 0x0;
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/**
 * One whole client frame: FIN set, the payload masked with `mask` (RFC 6455 5.3: every client
 * frame is masked). The bench sends the same frame again and again, so it is built once; a fixed
 * mask is fine for a benchmark on 127.0.0.1 (the mask guards intermediaries, 10.3).
 */
export function maskedFrame(opcode: number, payload: Uint8Array, mask: Uint8Array = new Uint8Array([0x37, 0xfa, 0x21, 0x3d])): Buffer {
  if (mask.length !== 4) throw new RangeError('a masking key is 4 bytes');
  const length = payload.length;
  // RFC 6455 5.2: 7-bit length, or 126 + 16-bit, or 127 + 64-bit.
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const header = 2 + lengthBytes + 4;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x80 | (opcode & 0x0f);
  if (lengthBytes === 0) frame[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.set(mask, 2 + lengthBytes);
  for (let i = 0; i < length; i++) frame[header + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/** A text frame of `size` bytes of printable ASCII (the default message: 32 bytes). */
export function textPayload(size: number): Buffer {
  const payload = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) payload[i] = 0x61 + (i % 26);
  return payload;
}

/**
 * A frame as the decoder hands it over: `payload` is the frame's bytes (a view into the input when
 * they came in one chunk, a copy when split), or undefined when the decoder only counts.
 */
export type FrameHandler = (opcode: number, fin: boolean, payload: Buffer | undefined, length: number) => void;

export class FrameError extends Error {}

const GET_HEADER = 0;
const GET_LENGTH_16 = 1;
const GET_LENGTH_64 = 2;
const GET_PAYLOAD = 3;

/**
 * Decodes the server's frames (RFC 6455 5.2), whole or split at any byte. With `keepPayload` false
 * it only counts data frames: their payload bytes are skipped, never gathered (a subscriber of the fan-out row).
 * Refuses what a server must not send: a masked frame (5.1), reserved bits without an extension (5.2),
 * a control frame that is fragmented or longer than 125 bytes (5.5), a length past `maxLength`.
 */
export class FrameDecoder {
  private state = GET_HEADER;
  private readonly header = Buffer.alloc(10);
  private headerHave = 0;
  private opcode = 0;
  private fin = false;
  private length = 0;
  private remaining = 0;
  private parts: Buffer[] = [];
  /** Gathering this frame's payload: always for a control frame (a ping's is echoed, a close's has the code). */
  private gather = true;

  constructor(
    private readonly onFrame: FrameHandler,
    private readonly keepPayload = true,
    private readonly maxLength = 1 << 24,
  ) {}

  /** Feeds bytes from the socket: every frame they complete is handed to `onFrame` before this returns. */
  push(chunk: Buffer): void {
    const end = chunk.length;
    let at = 0;
    // Every state needs at least one more byte (an empty payload finishes in setLength).
    while (at < end) {
      switch (this.state) {
        case GET_HEADER:
          if (this.headerHave === 0 && end - at >= 2) {
            at += 2;
            this.startFrame(chunk[at - 2]!, chunk[at - 1]!);
          } else {
            this.header[this.headerHave++] = chunk[at++]!;
            if (this.headerHave === 2) {
              this.headerHave = 0;
              this.startFrame(this.header[0]!, this.header[1]!);
            }
          }
          break;
        case GET_LENGTH_16:
        case GET_LENGTH_64: {
          const wide = this.state === GET_LENGTH_64;
          const need = wide ? 8 : 2;
          let from = chunk;
          let offset = at;
          if (this.headerHave === 0 && end - at >= need) {
            at += need;
          } else {
            const take = Math.min(need - this.headerHave, end - at);
            chunk.copy(this.header, this.headerHave, at, at + take);
            this.headerHave += take;
            at += take;
            if (this.headerHave < need) break;
            this.headerHave = 0;
            from = this.header;
            offset = 0;
          }
          this.setLength(wide ? Number(from.readBigUInt64BE(offset)) : from.readUInt16BE(offset));
          break;
        }
        case GET_PAYLOAD: {
          const take = Math.min(this.remaining, end - at);
          if (this.gather) {
            if (this.parts.length === 0 && take === this.remaining) {
              at += take;
              this.remaining = 0;
              this.finish(chunk.subarray(at - take, at));
              break;
            }
            this.parts.push(Buffer.from(chunk.subarray(at, at + take)));
          }
          at += take;
          this.remaining -= take;
          if (this.remaining > 0) break;
          const payload = this.gather ? Buffer.concat(this.parts, this.length) : undefined;
          this.parts = [];
          this.finish(payload);
          break;
        }
      }
    }
  }

  private startFrame(first: number, second: number): void {
    if ((first & 0x70) !== 0) throw new FrameError('RFC 6455 5.2: reserved bits set without a negotiated extension');
    if ((second & 0x80) !== 0) throw new FrameError('RFC 6455 5.1: a server must not mask its frames');
    this.fin = (first & 0x80) !== 0;
    this.opcode = first & 0x0f;
    this.gather = this.keepPayload || this.opcode >= 0x8;
    const length = second & 0x7f;
    if (this.opcode >= 0x8) {
      if (!this.fin) throw new FrameError('RFC 6455 5.5: a control frame must not be fragmented');
      if (length > 125) throw new FrameError('RFC 6455 5.5: a control frame carries at most 125 bytes');
    } else if (this.opcode > OPCODE_BINARY) {
      throw new FrameError(`RFC 6455 5.2: reserved opcode 0x${this.opcode.toString(16)}`);
    }
    if (length === 126) this.state = GET_LENGTH_16;
    else if (length === 127) this.state = GET_LENGTH_64;
    else this.setLength(length);
  }

  private setLength(length: number): void {
    if (length > this.maxLength) throw new FrameError(`a frame of ${length} bytes is past the limit of ${this.maxLength}`);
    this.length = length;
    this.remaining = length;
    if (length === 0) {
      this.finish(this.gather ? Buffer.alloc(0) : undefined);
      return;
    }
    this.state = GET_PAYLOAD;
  }

  private finish(payload: Buffer | undefined): void {
    this.state = GET_HEADER;
    this.onFrame(this.opcode, this.fin, payload, this.length);
  }
}
