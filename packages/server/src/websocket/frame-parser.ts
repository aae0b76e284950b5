import { PercoreError } from '../errors.js';
import { isValidCloseCode } from './close-codes.js';
import { isValidUtf8, Utf8Validator } from './utf8-validator.js';

/**
 * The WebSocket frame parser (RFC 6455 5): client frames in, messages, control frames and
 * failures out. A byte-level state machine in the style of ws's receiver: numeric states and a
 * `do { switch (state) } while (loop)` loop in which each state consumes bytes or stops for more.
 * It is sated: every byte pushed is parsed or held until more arrive.
 */

export const Opcode = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

export interface FrameParserOptions {
  /** Largest message in bytes, counted over all its fragments, from the frame headers, before the payload is buffered. */
  maxPayloadLength: number;
  /** Whether permessage-deflate was negotiated: only then may the first frame of a data message carry RSV1 (RFC 7692 6). */
  perMessageDeflate: boolean;
}

/** What the parser reports, in wire order. It calls at most one of these per frame. */
export interface FrameSink {
  /** An uncompressed data message, whole (fragments joined); text already validated as UTF-8. The sink may keep `data`. */
  message(data: Buffer, isBinary: boolean): void;
  /** One frame of a compressed message (RSV1 on its first frame): unmasked, still compressed; `fin` on its last frame. */
  compressedFragment(payload: Buffer, isBinary: boolean, fin: boolean): void;
  ping(payload: Buffer): void;
  pong(payload: Buffer): void;
  /** A close frame: its code (1005 when the payload is empty) and its reason, both validated. */
  close(code: number, reason: string): void;
  /**
   * The peer broke the protocol: fail the connection with `closeCode` (1002, 1007 or 1009; RFC 6455 7.1.7).
   * `error` is a PercoreError with the matching code. The parser stops for good after this.
   */
  fail(error: PercoreError, closeCode: number): void;
}

// States.
const GET_INFO = 0;
const GET_LENGTH_16 = 1;
const GET_LENGTH_64 = 2;
const GET_MASK = 3;
const GET_DATA = 4;
const FINISHED = 5;

const PROTOCOL_ERROR = 1002;
const INVALID_DATA = 1007;
const MESSAGE_TOO_BIG = 1009;

/** Payloads at least this long are unmasked 32 bits at a time (a typed-array view costs an allocation). */
const WORD_UNMASK_MIN_BYTES = 256;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const EMPTY = Buffer.alloc(0);

export class FrameParser {
  private readonly sink: FrameSink;
  private readonly maxPayloadLength: number;
  private readonly perMessageDeflate: boolean;

  private state = GET_INFO;
  private isPaused = false;
  private running = false;

  // Bytes held: `head` from `headPos`, then `queue`; `buffered` counts them all.
  private head: Buffer = EMPTY;
  private headPos = 0;
  private readonly queue: Buffer[] = [];
  private buffered = 0;
  /** Where `contiguous` left the bytes it was asked for: `src[srcPos...]`. */
  private src: Buffer = EMPTY;
  private srcPos = 0;
  private readonly scratch = Buffer.allocUnsafe(8);

  // The frame under way.
  private fin = false;
  private opcode = 0;
  private payloadLength = 0;
  private remaining = 0;
  private mask0 = 0;
  private mask1 = 0;
  private mask2 = 0;
  private mask3 = 0;
  /** Payload bytes of this frame unmasked so far (the mask key's phase). */
  private maskPos = 0;

  // The data message under way (RFC 6455 5.4): its first frame's opcode, 0 when none.
  private messageOpcode = 0;
  private compressed = false;
  private messageLength = 0;
  /**
   * Unmasked payload pieces (subarrays of pushed chunks): the message's, or the compressed frame's.
   * The first apart, so that the common message of one piece touches no array.
   */
  private firstPiece: Buffer | null = null;
  private readonly morePieces: Buffer[] = [];
  private piecesLength = 0;
  private readonly utf8 = new Utf8Validator();

  constructor(sink: FrameSink, options: FrameParserOptions) {
    this.sink = sink;
    this.maxPayloadLength = options.maxPayloadLength;
    this.perMessageDeflate = options.perMessageDeflate;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  get finished(): boolean {
    return this.state === FINISHED;
  }

  /** Feeds bytes read from the socket (may be unmasked in place: the parser owns them). Sated: consumes all of it or keeps the rest. */
  push(chunk: Buffer): void {
    if (this.state === FINISHED || chunk.length === 0) return;
    if (this.headPos === this.head.length && this.queue.length === 0) {
      this.head = chunk;
      this.headPos = 0;
    } else {
      this.queue.push(chunk);
    }
    this.buffered += chunk.length;
    if (!this.isPaused && !this.running) this.run();
  }

  /** Stops delivering until `resume()` (the sink may call it from inside a callback); bytes pushed meanwhile are held. */
  pause(): void {
    this.isPaused = true;
  }

  /** Continues with the bytes held, synchronously. */
  resume(): void {
    this.isPaused = false;
    // From inside a callback the running loop simply carries on.
    if (!this.running && this.state !== FINISHED) this.run();
  }

  private run(): void {
    this.running = true;
    try {
      let loop = true;
      do {
        switch (this.state) {
          case GET_INFO:
            loop = this.getInfo();
            break;
          case GET_LENGTH_16:
            loop = this.getLength16();
            break;
          case GET_LENGTH_64:
            loop = this.getLength64();
            break;
          case GET_MASK:
            loop = this.getMask();
            break;
          case GET_DATA:
            loop = this.getData();
            break;
          default:
            loop = false;
        }
      } while (loop && !this.isPaused);
    } finally {
      this.running = false;
    }
    if (this.buffered === 0) {
      // Let the last chunk go; the pieces handed on keep what they need.
      this.head = EMPTY;
      this.headPos = 0;
    }
  }

  /** RFC 6455 5.2: FIN, RSV1-3, opcode; MASK, payload len. */
  private getInfo(): boolean {
    if (!this.contiguous(2)) return false;
    const b0 = this.src[this.srcPos]!;
    const b1 = this.src[this.srcPos + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const length7 = b1 & 0x7f;

    // RFC 6455 5.2: RSV2 and RSV3 mean extensions percore never negotiates.
    if ((b0 & 0x30) !== 0) return this.protocolError('RSV2 and RSV3 must be clear');

    if (opcode === Opcode.Continuation) {
      // RFC 6455 5.4: a continuation needs a message under way; RFC 7692 6.1: RSV1 only on a message's first frame.
      if (this.messageOpcode === 0) return this.protocolError('a continuation frame with no message under way');
      if (rsv1) return this.protocolError('RSV1 on a continuation frame');
    } else if (opcode === Opcode.Text || opcode === Opcode.Binary) {
      // RFC 6455 5.4: the fragments of one message are not interleaved with another.
      if (this.messageOpcode !== 0) return this.protocolError('a new data frame while a fragmented message is unfinished');
      // RFC 7692 6: RSV1 marks a compressed message, only when permessage-deflate was negotiated.
      if (rsv1 && !this.perMessageDeflate) return this.protocolError('RSV1 set without permessage-deflate');
      this.messageOpcode = opcode;
      this.compressed = rsv1;
      this.messageLength = 0;
    } else if (opcode === Opcode.Close || opcode === Opcode.Ping || opcode === Opcode.Pong) {
      // RFC 6455 5.5: control frames are not fragmented, carry at most 125 bytes, and are never compressed (RFC 7692 6.1).
      if (!fin) return this.protocolError('a fragmented control frame');
      if (length7 > 125) return this.protocolError('a control frame longer than 125 bytes');
      if (rsv1) return this.protocolError('RSV1 on a control frame');
    } else {
      // RFC 6455 5.2: opcodes 3-7 and 0xB-0xF are reserved.
      return this.protocolError(`reserved opcode 0x${opcode.toString(16)}`);
    }
    // RFC 6455 5.1: a server must fail a connection whose client frames are unmasked.
    if ((b1 & 0x80) === 0) return this.protocolError('a client frame must be masked');

    this.fin = fin;
    this.opcode = opcode;
    if (length7 === 126) {
      this.state = GET_LENGTH_16;
      return true;
    }
    if (length7 === 127) {
      this.state = GET_LENGTH_64;
      return true;
    }
    return this.haveLength(length7);
  }

  // RFC 6455 5.2 allows only the minimal length encoding, but like ws we accept a longer one
  // (126 with a 16-bit length under 126, 127 with a 64-bit length under 65536): it is unambiguous.

  private getLength16(): boolean {
    if (!this.contiguous(2)) return false;
    return this.haveLength(this.src.readUInt16BE(this.srcPos));
  }

  private getLength64(): boolean {
    if (!this.contiguous(8)) return false;
    const high = this.src.readUInt32BE(this.srcPos);
    // RFC 6455 5.2: the most significant bit of a 64-bit length must be 0.
    if (high >= 0x80000000) return this.protocolError('the most significant bit of a 64-bit length is set');
    // Past 2^53 - 1 a length is not a safe number, and far past any maxPayloadLength.
    if (high > 0x1fffff) return this.tooBig('a frame longer than 2^53 - 1 bytes');
    return this.haveLength(high * 0x100000000 + this.src.readUInt32BE(this.srcPos + 4));
  }

  private haveLength(length: number): boolean {
    if (this.opcode < Opcode.Close) {
      // Checked from the headers, before any payload is held: cumulative over fragments (compressed length if compressed).
      const messageLength = this.messageLength + length;
      if (messageLength > this.maxPayloadLength) {
        return this.tooBig(`a message longer than maxPayloadLength (${this.maxPayloadLength} bytes)`);
      }
      this.messageLength = messageLength;
    }
    this.payloadLength = length;
    this.state = GET_MASK;
    return true;
  }

  private getMask(): boolean {
    if (!this.contiguous(4)) return false;
    const src = this.src;
    const pos = this.srcPos;
    this.mask0 = src[pos]!;
    this.mask1 = src[pos + 1]!;
    this.mask2 = src[pos + 2]!;
    this.mask3 = src[pos + 3]!;
    this.maskPos = 0;
    this.remaining = this.payloadLength;
    this.state = GET_DATA;
    return true;
  }

  private getData(): boolean {
    if (this.opcode >= Opcode.Close) return this.getControl();
    const isText = this.opcode === Opcode.Text || (this.opcode === Opcode.Continuation && this.messageOpcode === Opcode.Text);
    const validate = isText && !this.compressed;
    // Take each chunk's share of the payload as it arrives: unmask it, validate it, keep it.
    while (this.remaining > 0) {
      if (this.headPos === this.head.length && !this.nextChunk()) return false;
      const start = this.headPos;
      const take = Math.min(this.remaining, this.head.length - start);
      const end = start + take;
      this.unmask(this.head, start, end);
      if (validate && !this.utf8.update(this.head, start, end)) return this.invalidUtf8('a text message that is not UTF-8');
      const piece = this.head.subarray(start, end);
      if (this.firstPiece === null) this.firstPiece = piece;
      else this.morePieces.push(piece);
      this.piecesLength += take;
      this.headPos = end;
      this.buffered -= take;
      this.remaining -= take;
    }
    this.state = GET_INFO;
    if (this.compressed) {
      const isBinary = this.messageOpcode === Opcode.Binary;
      if (this.fin) this.messageOpcode = 0;
      this.sink.compressedFragment(this.joinPieces(), isBinary, this.fin);
      return this.state !== FINISHED;
    }
    if (!this.fin) return true;
    // RFC 6455 8.1: a text message must end on a code point.
    if (validate && !this.utf8.finish()) return this.invalidUtf8('a text message that ends inside a code point');
    const isBinary = this.messageOpcode === Opcode.Binary;
    this.messageOpcode = 0;
    this.utf8.reset();
    this.sink.message(this.joinPieces(), isBinary);
    return this.state !== FINISHED;
  }

  /** RFC 6455 5.5: a control frame's payload (at most 125 bytes), whole, then its meaning. */
  private getControl(): boolean {
    const length = this.payloadLength;
    if (this.buffered < length) return false;
    const payload = length === 0 ? EMPTY : this.take(length);
    this.unmask(payload, 0, length);
    this.state = GET_INFO;
    if (this.opcode === Opcode.Ping) {
      this.sink.ping(payload);
    } else if (this.opcode === Opcode.Pong) {
      this.sink.pong(payload);
    } else {
      return this.closeFrame(payload);
    }
    return this.state !== FINISHED;
  }

  /** RFC 6455 5.5.1: an optional 2-byte code, then a UTF-8 reason; then nothing more is read (7.1.3). */
  private closeFrame(payload: Buffer): boolean {
    let code = 1005;
    let reason = '';
    if (payload.length === 1) return this.protocolError('a close frame with a 1-byte payload');
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      // RFC 6455 7.4: a code that may not be received fails the connection.
      if (!isValidCloseCode(code)) return this.protocolError(`close code ${code} may not be received`);
      const reasonBytes = payload.subarray(2);
      if (!isValidUtf8(reasonBytes)) return this.invalidUtf8('a close reason that is not UTF-8');
      reason = reasonBytes.toString('utf8');
    }
    this.finish();
    this.sink.close(code, reason);
    return false;
  }

  /** XORs `buf[start, end)` with the mask key, from the phase this frame has reached (RFC 6455 5.3). */
  private unmask(buf: Buffer, start: number, end: number): void {
    const phase = this.maskPos & 3;
    this.maskPos += end - start;
    // The key rotated so that m0 applies to buf[start].
    let m0 = this.mask0;
    let m1 = this.mask1;
    let m2 = this.mask2;
    let m3 = this.mask3;
    for (let turn = phase; turn > 0; turn--) {
      const first = m0;
      m0 = m1;
      m1 = m2;
      m2 = m3;
      m3 = first;
    }
    if ((m0 | m1 | m2 | m3) === 0) return;
    let i = start;
    if (LITTLE_ENDIAN && end - start >= WORD_UNMASK_MIN_BYTES) {
      // Bytes up to a 4-byte boundary, then whole words, then the rest; the key turns with each byte.
      while (((buf.byteOffset + i) & 3) !== 0) {
        buf[i++]! ^= m0;
        const t = m0;
        m0 = m1;
        m1 = m2;
        m2 = m3;
        m3 = t;
      }
      const words = (end - i) >>> 2;
      const view = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
      const key = (m0 | (m1 << 8) | (m2 << 16) | (m3 << 24)) >>> 0;
      for (let w = 0; w < words; w++) view[w]! ^= key;
      i += words << 2;
    }
    const fours = end - ((end - i) & 3);
    for (; i < fours; i += 4) {
      buf[i]! ^= m0;
      buf[i + 1]! ^= m1;
      buf[i + 2]! ^= m2;
      buf[i + 3]! ^= m3;
    }
    if (i < end) buf[i++]! ^= m0;
    if (i < end) buf[i++]! ^= m1;
    if (i < end) buf[i]! ^= m2;
  }

  /** The pieces as one Buffer (no copy for one piece), and forgets them. */
  private joinPieces(): Buffer {
    const first = this.firstPiece;
    if (first === null) return EMPTY;
    this.firstPiece = null;
    if (this.morePieces.length === 0) {
      this.piecesLength = 0;
      return first;
    }
    const joined = Buffer.concat([first, ...this.morePieces], this.piecesLength);
    this.morePieces.length = 0;
    this.piecesLength = 0;
    return joined;
  }

  /** Makes the next `n` bytes (n ≤ 8) readable at `src[srcPos]` and consumes them; false while fewer are held. */
  private contiguous(n: number): boolean {
    if (this.buffered < n) return false;
    if (this.headPos === this.head.length) this.nextChunk();
    if (this.head.length - this.headPos >= n) {
      this.src = this.head;
      this.srcPos = this.headPos;
      this.headPos += n;
      this.buffered -= n;
      return true;
    }
    this.copyOut(this.scratch, n);
    this.src = this.scratch;
    this.srcPos = 0;
    return true;
  }

  /** The next `n` held bytes as one Buffer (a subarray when they lie in one chunk), consumed. */
  private take(n: number): Buffer {
    if (this.headPos === this.head.length) this.nextChunk();
    if (this.head.length - this.headPos >= n) {
      const start = this.headPos;
      this.headPos += n;
      this.buffered -= n;
      return this.head.subarray(start, start + n);
    }
    const out = Buffer.allocUnsafe(n);
    this.copyOut(out, n);
    return out;
  }

  /** Copies the next `n` held bytes (across chunks) into `target`, consumed. */
  private copyOut(target: Buffer, n: number): void {
    let copied = 0;
    while (copied < n) {
      if (this.headPos === this.head.length) this.nextChunk();
      const count = Math.min(n - copied, this.head.length - this.headPos);
      this.head.copy(target, copied, this.headPos, this.headPos + count);
      this.headPos += count;
      copied += count;
    }
    this.buffered -= n;
  }

  /** Moves to the next held chunk; false when there is none. */
  private nextChunk(): boolean {
    const next = this.queue.shift();
    if (next === undefined) return false;
    this.head = next;
    this.headPos = 0;
    return true;
  }

  private protocolError(detail: string): false {
    return this.failWith(new PercoreError('PERCORE_ERR_WEBSOCKET_PROTOCOL', detail), PROTOCOL_ERROR);
  }

  private invalidUtf8(detail: string): false {
    return this.failWith(new PercoreError('PERCORE_ERR_WEBSOCKET_INVALID_UTF8', detail), INVALID_DATA);
  }

  private tooBig(detail: string): false {
    return this.failWith(new PercoreError('PERCORE_ERR_WEBSOCKET_MESSAGE_TOO_BIG', detail), MESSAGE_TOO_BIG);
  }

  private failWith(error: PercoreError, closeCode: number): false {
    this.finish();
    this.sink.fail(error, closeCode);
    return false;
  }

  /** Nothing more is parsed: drop what is held. */
  private finish(): void {
    this.state = FINISHED;
    this.head = EMPTY;
    this.headPos = 0;
    this.queue.length = 0;
    this.buffered = 0;
    this.firstPiece = null;
    this.morePieces.length = 0;
    this.piecesLength = 0;
  }
}
