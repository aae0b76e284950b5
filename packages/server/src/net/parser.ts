import type { ErrorCode } from '../errors.js';
import { COLON, CR, HTAB, LF, SEMICOLON, SP, TARGET, TOKEN, equalsIgnoreCase } from '../http/chars.js';
import {
  INVALID_VERSION,
  UNSUPPORTED_VERSION,
  checkTargetForm,
  chunkSizeEnd,
  invalidValueByte,
  isValidHost,
  listElementEnd,
  methodString,
  nextListElement,
  parseChunkExtensions,
  parseChunkSize,
  parseContentLength,
  versionMinorOf,
} from './grammar.js';
import type { HttpLimits } from '../http/options.js';

/**
 * An incremental HTTP/1.x request parser (RFC 9112), written as an explicit state machine.
 *
 * `execute(data, offset)` consumes bytes until it needs more, completes a request head, completes
 * a message, or meets an error; `event` says which, and the return value is where it stopped.
 * Stopping at each head and message lets the connection run the handler outside the parse loop
 * and answer pipelined requests strictly in order. Body bytes go to the sink as they arrive,
 * as views of the input (no copies).
 *
 * This file is the state machine alone; the grammar it checks bytes against (targets, versions,
 * field values, lengths, lists, chunk extensions) is in grammar.ts.
 *
 * Line states find the LF with `indexOf` and validate the line with byte tables. A line split
 * across reads is kept (copied) until its LF arrives; that is the only path that copies.
 */

export interface ParserSink {
  onBody(chunk: Buffer): void;
}

export enum ParseEvent {
  /** All input consumed; waiting for more. */
  NeedMore,
  /**
   * A request head is complete: method, target, headers and framing are set, and stay set until
   * the next request line begins. When `hasBody` is false the message is complete too.
   */
  HeadComplete,
  /** The message (head and body) is complete. */
  MessageComplete,
  /** The input is malformed; `error` holds the code. The parser accepts nothing more. */
  Error,
}

const enum State {
  /** Before a request line: skip empty lines (RFC 9112 2.2). */
  RequestLineStart,
  RequestLineStartLF,
  RequestLine,
  HeaderLine,
  BodyIdentity,
  ChunkSizeLine,
  ChunkData,
  ChunkDataCR,
  ChunkDataLF,
  TrailerLine,
  Dead,
}

/** The line buffer before any line has been split across reads: shared, never written. */
const NO_LINE = Buffer.alloc(0);
/** The fields before the first message: shared, never written (each message gets its own array). */
const NO_FIELDS: RawFields = [];

/** A chunk-size line longer than this (with extensions) is refused. */
const MAX_CHUNK_LINE = 4096;

export class RequestParser {
  event = ParseEvent.NeedMore;
  error: ErrorCode | null = null;

  // The current message, valid from HeadComplete until the next request line.
  method = '';
  target = '';
  versionMinor = 1;
  /**
   * The header fields as positions in the bytes they arrived in, five entries each:
   * [buffer, nameStart, nameEnd, valueStart, valueEnd, ...]. Strings are made only when a
   * handler asks (`fieldStrings`): the hello path never pays for them.
   */
  fields: RawFields = NO_FIELDS;
  trailers: string[] | null = null;
  keepAlive = true;
  chunked = false;
  /** Content-Length of the body; 0 when there is none; -1 when chunked. */
  contentLength = 0;
  expectContinue = false;
  /** Whether the message has a body (Content-Length > 0, or chunked). */
  hasBody = false;
  /**
   * Whether the request offers to switch protocols: HTTP/1.1 with an Upgrade field and the
   * "upgrade" connection option (RFC 9110 7.8). The parser does not switch: the request is an
   * ordinary one, and the bytes after it parse as HTTP unless the owner hands them over.
   */
  upgrade = false;

  private state = State.RequestLineStart;
  /** Bytes of the current head so far (request line, fields, CRLFs). */
  private headBytes = 0;
  private bodyRemaining = 0;
  private bodyBytes = 0;

  // Head facts gathered field by field, judged at the end of the head.
  private hostCount = 0;
  private hostInvalid = false;
  private contentLengthCount = 0;
  private contentLengthInvalid = false;
  private transferEncodingSeen = false;
  private chunkedCount = 0;
  private lastCodingIsChunked = false;
  private otherCodings = 0;
  private connectionClose = false;
  private connectionKeepAlive = false;
  private connectionUpgrade = false;
  private upgradeSeen = false;
  private expectUnsupported = false;

  // A line split across reads: its bytes so far.
  private partial: Buffer[] = [];
  private partialLength = 0;
  /** The kept bytes end in a CR whose LF has not arrived yet. */
  private partialEndsWithCR = false;
  // The last complete line: lineBuf[lineStart, lineEnd), CRLF excluded.
  private lineBuf: Buffer = NO_LINE;
  private lineStart = 0;
  private lineEnd = 0;

  constructor(
    private readonly limits: HttpLimits,
    private sink: ParserSink,
  ) {}

  /** @internal Feeds another owner's body from now on (ParserPool): only while between messages. */
  rebind(sink: ParserSink): void {
    this.sink = sink;
  }

  /**
   * Lets go of the last message's head (its fields, and the read buffers they point into), so an
   * idle keep-alive connection holds no request bytes. Only between messages, when nothing reads them.
   */
  releaseMessage(): void {
    this.fields = NO_FIELDS;
    this.trailers = null;
    this.lineBuf = NO_LINE;
  }

  /** Whether the parser is between messages (nothing of a next request received yet). */
  get idle(): boolean {
    return this.state === State.RequestLineStart && this.partialLength === 0 && this.headBytes === 0;
  }

  /**
   * Bytes kept from a line split across reads (the only input the parser copies and holds); never
   * more than the line's limit plus one, so a peer cannot make it grow without bound.
   */
  get bufferedBytes(): number {
    return this.partialLength;
  }

  /** Whether a body is still being received. */
  get inBody(): boolean {
    return this.state >= State.BodyIdentity && this.state <= State.TrailerLine;
  }

  execute(data: Buffer, offset: number): number {
    let pos = offset;
    const end = data.length;
    this.event = ParseEvent.NeedMore;
    while (pos < end) {
      switch (this.state) {
        case State.RequestLineStart: {
          // RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request-line.
          const byte = data[pos]!;
          if (byte === CR) {
            this.headBytes++;
            pos++;
            this.state = State.RequestLineStartLF;
            break;
          }
          if (byte === LF) return this.fail('PERCORE_ERR_BARE_LF', pos);
          this.beginMessage();
          this.state = State.RequestLine;
          break;
        }
        case State.RequestLineStartLF: {
          if (data[pos] !== LF) return this.fail('PERCORE_ERR_BARE_CR', pos);
          pos++;
          this.headBytes++;
          if (this.headBytes > this.limits.maxHeaderSize) return this.fail('PERCORE_ERR_HEADERS_TOO_LARGE', pos);
          this.state = State.RequestLineStart;
          break;
        }
        case State.RequestLine: {
          const limit = Math.min(this.limits.maxRequestLineLength, this.limits.maxHeaderSize - this.headBytes - 2);
          const next = this.readLine(data, pos, limit, 'PERCORE_ERR_REQUEST_LINE_TOO_LONG');
          if (next < 0) return next === NEED_MORE ? end : this.fail(this.pendingError!, pos);
          this.headBytes += next - pos + this.consumedPartial;
          pos = next;
          const code = this.parseRequestLine();
          if (code !== null) return this.fail(code, pos);
          this.state = State.HeaderLine;
          break;
        }
        case State.HeaderLine: {
          const next = this.readLine(data, pos, this.limits.maxHeaderSize - this.headBytes - 2, 'PERCORE_ERR_HEADERS_TOO_LARGE');
          if (next < 0) return next === NEED_MORE ? end : this.fail(this.pendingError!, pos);
          this.headBytes += next - pos + this.consumedPartial;
          pos = next;
          if (this.lineEnd === this.lineStart) {
            const code = this.finishHead();
            if (code !== null) return this.fail(code, pos);
            this.event = ParseEvent.HeadComplete;
            return pos;
          }
          const code = this.parseField(false);
          if (code !== null) return this.fail(code, pos);
          break;
        }
        case State.BodyIdentity: {
          const take = Math.min(this.bodyRemaining, end - pos);
          this.sink.onBody(data.subarray(pos, pos + take));
          pos += take;
          this.bodyRemaining -= take;
          if (this.bodyRemaining === 0) return this.completeMessage(pos);
          break;
        }
        case State.ChunkSizeLine: {
          const next = this.readLine(data, pos, MAX_CHUNK_LINE, 'PERCORE_ERR_INVALID_CHUNK_EXTENSION');
          if (next < 0) return next === NEED_MORE ? end : this.fail(this.pendingError!, pos);
          pos = next;
          const code = this.parseChunkSizeLine();
          if (code !== null) return this.fail(code, pos);
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.bodyRemaining, end - pos);
          this.sink.onBody(data.subarray(pos, pos + take));
          pos += take;
          this.bodyRemaining -= take;
          if (this.bodyRemaining === 0) this.state = State.ChunkDataCR;
          break;
        }
        case State.ChunkDataCR: {
          // RFC 9112 7.1: chunk-data is followed by CRLF; anything else is a framing error.
          if (data[pos] !== CR) return this.fail('PERCORE_ERR_INVALID_CHUNK_FRAMING', pos);
          pos++;
          this.state = State.ChunkDataLF;
          break;
        }
        case State.ChunkDataLF: {
          if (data[pos] !== LF) return this.fail('PERCORE_ERR_INVALID_CHUNK_FRAMING', pos);
          pos++;
          this.state = State.ChunkSizeLine;
          break;
        }
        case State.TrailerLine: {
          const next = this.readLine(data, pos, this.limits.maxHeaderSize - this.headBytes - 2, 'PERCORE_ERR_HEADERS_TOO_LARGE');
          if (next < 0) return next === NEED_MORE ? end : this.fail(this.pendingError!, pos);
          this.headBytes += next - pos + this.consumedPartial;
          pos = next;
          if (this.lineEnd === this.lineStart) return this.completeMessage(pos);
          // RFC 9112 7.1.2: trailer fields have the syntax of header fields. They are reported
          // apart from the headers and never change the framing.
          const code = this.parseField(true);
          if (code !== null) return this.fail(code, pos);
          break;
        }
        case State.Dead:
          this.event = ParseEvent.Error;
          return pos;
      }
    }
    if (this.state === State.Dead) this.event = ParseEvent.Error;
    return pos;
  }

  // ---- lines -------------------------------------------------------------------------------

  /** Bytes of the completed line that came from earlier reads (so the caller can count them). */
  private consumedPartial = 0;
  private pendingError: ErrorCode | null = null;

  /**
   * Finds the end of a CRLF line starting at `pos`. On success returns the offset after the LF and
   * sets lineBuf/lineStart/lineEnd. Otherwise returns NEED_MORE (the bytes are kept) or FAILED
   * (pendingError says why). `limit` bounds the line's bytes, CRLF excluded.
   *
   * One pass in JS finds the line's end and enforces RFC 9112 2.2 as it goes: a CR must be
   * followed by LF (a bare CR fails at once, so a peer cannot hold a broken line open), and an LF
   * must follow a CR (a lone LF may be read differently by another parser on the path).
   */
  private readLine(data: Buffer, pos: number, limit: number, tooLong: ErrorCode): number {
    const end = data.length;
    if (this.partialEndsWithCR) {
      // The previous read ended on a CR: this read must start with its LF.
      if (data[pos] !== LF) return this.failLine('PERCORE_ERR_BARE_CR');
      return this.completeLine(data, pos, pos, pos + 1, limit, tooLong, 1);
    }
    let i = pos;
    while (i < end) {
      const byte = data[i]!;
      if (byte === CR || byte === LF) break;
      i++;
    }
    // A line already over its limit is refused as too long whatever ends it, as it would be had it
    // arrived in pieces (the check below, before its end is seen): the verdict must not depend on
    // where the reads split.
    if (i < end && this.partialLength + (i - pos) > limit) return this.failLine(tooLong);
    if (i < end && data[i] === LF) return this.failLine('PERCORE_ERR_BARE_LF');
    if (i + 1 < end) {
      // data[i] is a CR with a byte after it.
      if (data[i + 1] !== LF) return this.failLine('PERCORE_ERR_BARE_CR');
      return this.completeLine(data, pos, i, i + 2, limit, tooLong, 0);
    }
    // Incomplete: no CR yet, or a CR as the last byte read.
    if (this.partialLength + (end - pos) > limit + 1) return this.failLine(tooLong);
    this.partial.push(Buffer.from(data.subarray(pos)));
    this.partialLength += end - pos;
    this.partialEndsWithCR = i < end;
    return NEED_MORE;
  }

  /**
   * Sets the line: the kept partial bytes (less `dropFromPartial` bytes of trailing CR) and
   * data[pos, lineEnd). Returns `next`, or FAILED if the line is over `limit`.
   */
  private completeLine(
    data: Buffer,
    pos: number,
    lineEnd: number,
    next: number,
    limit: number,
    tooLong: ErrorCode,
    dropFromPartial: number,
  ): number {
    const partialLength = this.partialLength - dropFromPartial;
    if (partialLength + (lineEnd - pos) > limit) return this.failLine(tooLong);
    this.consumedPartial = this.partialLength;
    if (this.partialLength === 0) {
      this.lineBuf = data;
      this.lineStart = pos;
      this.lineEnd = lineEnd;
    } else {
      this.partial.push(data.subarray(pos, lineEnd));
      this.lineBuf = Buffer.concat(this.partial, this.partialLength + (lineEnd - pos));
      this.lineStart = 0;
      // A CRLF split across reads leaves its CR last in the kept bytes: the line ends before it.
      this.lineEnd = partialLength + (lineEnd - pos);
      this.partial = [];
      this.partialLength = 0;
      this.partialEndsWithCR = false;
    }
    return next;
  }

  private failLine(code: ErrorCode): number {
    this.pendingError = code;
    return FAILED;
  }

  // ---- request line (RFC 9112 3) -----------------------------------------------------------

  private parseRequestLine(): ErrorCode | null {
    const buf = this.lineBuf;
    const start = this.lineStart;
    const end = this.lineEnd;
    // RFC 9112 3: request-line = method SP request-target SP HTTP-version, single SPs only. One
    // pass finds the spaces and refuses tabs (readLine has already refused any CR).
    let sp1 = -1;
    let sp2 = -1;
    let sp3 = -1;
    for (let i = start; i < end; i++) {
      const byte = buf[i]!;
      if (byte === SP) {
        if (sp1 === -1) sp1 = i;
        else if (sp2 === -1) sp2 = i;
        else if (sp3 === -1) sp3 = i;
      } else if (byte === HTAB) {
        return 'PERCORE_ERR_INVALID_REQUEST_LINE';
      }
    }
    if (sp1 === -1 || sp1 === start) return 'PERCORE_ERR_INVALID_REQUEST_LINE';
    for (let i = start; i < sp1; i++) if (TOKEN[buf[i]!] === 0) return 'PERCORE_ERR_INVALID_METHOD';
    // RFC 9110 9.1: the method is case-sensitive, and any token is syntactically a method. One
    // this server does not know goes to the handler as sent ('get' is not GET, and gets no GET
    // or HEAD semantics); the handler or router answers it, with 501 or 405 (RFC 9110 15.6.2,
    // 15.5.6). See docs/parser-divergences.md: llhttp refuses unknown methods instead.
    this.method = methodString(buf, start, sp1);
    // RFC 9110 9.3.6: CONNECT asks for a tunnel, which this server does not provide.
    if (this.method === 'CONNECT') return 'PERCORE_ERR_METHOD_NOT_IMPLEMENTED';

    const targetStart = sp1 + 1;
    if (sp2 === -1 || sp2 === targetStart || sp3 !== -1) return 'PERCORE_ERR_INVALID_REQUEST_LINE';
    for (let i = targetStart; i < sp2; i++) if (TARGET[buf[i]!] === 0) return 'PERCORE_ERR_INVALID_TARGET';
    const targetCode = checkTargetForm(buf, targetStart, sp2, this.method);
    if (targetCode !== null) return targetCode;

    const minor = versionMinorOf(buf, sp2 + 1, end);
    if (minor === INVALID_VERSION) return 'PERCORE_ERR_INVALID_VERSION';
    if (minor === UNSUPPORTED_VERSION) return 'PERCORE_ERR_VERSION_NOT_SUPPORTED';
    this.versionMinor = minor;
    this.target = sp2 - targetStart === 1 && buf[targetStart] === 0x2f ? '/' : buf.toString('latin1', targetStart, sp2);
    return null;
  }

  // ---- fields (RFC 9112 5) -----------------------------------------------------------------

  private parseField(trailer: boolean): ErrorCode | null {
    const buf = this.lineBuf;
    const start = this.lineStart;
    const end = this.lineEnd;
    const first = buf[start]!;
    // RFC 9112 5.2: a server MUST reject obs-fold with 400 (or replace it; we reject).
    if (first === SP || first === HTAB) return 'PERCORE_ERR_OBSOLETE_LINE_FOLDING';
    let colon = start;
    while (colon < end && TOKEN[buf[colon]!] === 1) colon++;
    if (colon === end) return 'PERCORE_ERR_INVALID_HEADER_NAME';
    if (buf[colon] !== COLON) {
      // RFC 9112 5.1: no whitespace is allowed between the field name and colon; a server MUST
      // reject such a message with 400, since proxies may read the name differently.
      if (buf[colon] === SP || buf[colon] === HTAB) {
        let i = colon;
        while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
        if (i < end && buf[i] === COLON && colon > start) return 'PERCORE_ERR_WHITESPACE_BEFORE_COLON';
      }
      return 'PERCORE_ERR_INVALID_HEADER_NAME';
    }
    if (colon === start) return 'PERCORE_ERR_INVALID_HEADER_NAME';

    // RFC 9112 5: field-line = field-name ":" OWS field-value OWS.
    let valueStart = colon + 1;
    while (valueStart < end && (buf[valueStart] === SP || buf[valueStart] === HTAB)) valueStart++;
    let valueEnd = end;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
    const invalid = invalidValueByte(buf, valueStart, valueEnd);
    // RFC 9112 2.2: a CR not followed by LF is invalid; RFC 9110 5.5: so are other controls.
    if (invalid !== -1) return buf[invalid] === CR ? 'PERCORE_ERR_BARE_CR' : 'PERCORE_ERR_INVALID_HEADER_VALUE';
    if (trailer) {
      const trailers = (this.trailers ??= []);
      if (trailers.length >= this.limits.maxHeaderCount * 2) return 'PERCORE_ERR_TOO_MANY_HEADERS';
      trailers.push(buf.toString('latin1', start, colon), buf.toString('latin1', valueStart, valueEnd));
      return null;
    }
    if (this.fields.length >= this.limits.maxHeaderCount * FIELD_STRIDE) return 'PERCORE_ERR_TOO_MANY_HEADERS';
    this.noteHeader(buf, start, colon, valueStart, valueEnd);
    this.fields.push(buf, start, colon, valueStart, valueEnd);
    return null;
  }

  /** Records what the head's judgement needs from the fields that frame or route the message. */
  private noteHeader(buf: Buffer, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): void {
    switch (nameEnd - nameStart) {
      case 4:
        if (equalsIgnoreCase(buf, nameStart, nameEnd, 'host')) {
          this.hostCount++;
          if (!isValidHost(buf, valueStart, valueEnd)) this.hostInvalid = true;
        }
        return;
      case 7:
        if (equalsIgnoreCase(buf, nameStart, nameEnd, 'upgrade') && valueEnd > valueStart) this.upgradeSeen = true;
        return;
      case 6:
        if (equalsIgnoreCase(buf, nameStart, nameEnd, 'expect')) {
          // RFC 9110 10.1.1: 100-continue is the only expectation defined.
          if (equalsIgnoreCase(buf, valueStart, valueEnd, '100-continue')) this.expectContinue = true;
          else this.expectUnsupported = true;
        }
        return;
      case 10:
        if (equalsIgnoreCase(buf, nameStart, nameEnd, 'connection')) this.noteConnection(buf, valueStart, valueEnd);
        return;
      case 14:
        if (equalsIgnoreCase(buf, nameStart, nameEnd, 'content-length')) this.noteContentLength(buf, valueStart, valueEnd);
        return;
      case 17:
        if (equalsIgnoreCase(buf, nameStart, nameEnd, 'transfer-encoding')) this.noteTransferEncoding(buf, valueStart, valueEnd);
        return;
    }
  }

  /** RFC 9110 8.6: Content-Length = 1*DIGIT. Lists, signs and repeats are refused (RFC 9112 6.3). */
  private noteContentLength(buf: Buffer, start: number, end: number): void {
    this.contentLengthCount++;
    const value = parseContentLength(buf, start, end);
    if (value < 0) this.contentLengthInvalid = true;
    else this.contentLength = value;
  }

  /** RFC 9112 6.1: Transfer-Encoding is a comma list of codings, across all its field lines. */
  private noteTransferEncoding(buf: Buffer, start: number, end: number): void {
    this.transferEncodingSeen = true;
    for (let s = nextListElement(buf, start, end); s !== -1; s = nextListElement(buf, listElementEnd + 1, end)) {
      if (equalsIgnoreCase(buf, s, listElementEnd, 'chunked')) {
        this.chunkedCount++;
        this.lastCodingIsChunked = true;
      } else {
        this.otherCodings++;
        this.lastCodingIsChunked = false;
      }
    }
  }

  /** RFC 9110 7.6.1: Connection is a comma list of options. */
  private noteConnection(buf: Buffer, start: number, end: number): void {
    for (let s = nextListElement(buf, start, end); s !== -1; s = nextListElement(buf, listElementEnd + 1, end)) {
      if (equalsIgnoreCase(buf, s, listElementEnd, 'close')) this.connectionClose = true;
      else if (equalsIgnoreCase(buf, s, listElementEnd, 'keep-alive')) this.connectionKeepAlive = true;
      else if (equalsIgnoreCase(buf, s, listElementEnd, 'upgrade')) this.connectionUpgrade = true;
    }
  }

  /** Judges the complete head: routing and framing rules that need every field. */
  private finishHead(): ErrorCode | null {
    const http10 = this.versionMinor === 0;
    // RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host, and to any
    // request with more than one Host field line or an invalid Host value. That holds for an
    // absolute-form target too: 3.2.2 has the server ignore Host for routing, not its syntax.
    if (this.hostCount > 1) return 'PERCORE_ERR_DUPLICATE_HOST';
    if (this.hostInvalid) return 'PERCORE_ERR_INVALID_HOST';
    if (this.hostCount === 0 && !http10) return 'PERCORE_ERR_MISSING_HOST';
    // RFC 9112 6.3 (5): an invalid Content-Length is unrecoverable framing; repeats are refused too,
    // even equal ones, rather than guessed at.
    if (this.contentLengthInvalid) return 'PERCORE_ERR_INVALID_CONTENT_LENGTH';
    if (this.contentLengthCount > 1) return 'PERCORE_ERR_DUPLICATE_CONTENT_LENGTH';
    if (this.transferEncodingSeen) {
      // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
      if (http10) return 'PERCORE_ERR_TRANSFER_ENCODING_ON_HTTP10';
      // RFC 9112 6.3 (3): both framings at once is how requests are smuggled; refuse it.
      if (this.contentLengthCount > 0) return 'PERCORE_ERR_CONTENT_LENGTH_WITH_TRANSFER_ENCODING';
      // RFC 9112 6.3 (4): chunked must be the final coding, applied once (6.1), or the length is
      // unknowable and the server MUST answer 400.
      if (!this.lastCodingIsChunked || this.chunkedCount !== 1) return 'PERCORE_ERR_CHUNKED_NOT_FINAL';
      // RFC 9112 6.1: a coding the server does not understand SHOULD get 501.
      if (this.otherCodings > 0) return 'PERCORE_ERR_UNSUPPORTED_TRANSFER_CODING';
      this.chunked = true;
      this.contentLength = -1;
    }
    // RFC 9110 10.1.1: an HTTP/1.0 client cannot expect 100-continue; the expectation is ignored.
    if (http10) this.expectContinue = false;
    else if (this.expectUnsupported) return 'PERCORE_ERR_EXPECTATION_FAILED';
    if (this.contentLength > this.limits.maxBodySize) return 'PERCORE_ERR_BODY_TOO_LARGE';
    // RFC 9112 9.3: 1.1 persists unless "close"; 1.0 persists only with "keep-alive".
    this.keepAlive = !this.connectionClose && (!http10 || this.connectionKeepAlive);
    // RFC 9110 7.8: Upgrade in an HTTP/1.0 request MUST be ignored; it counts only when listed in
    // Connection.
    this.upgrade = this.upgradeSeen && this.connectionUpgrade && !http10;

    if (this.chunked) {
      this.hasBody = true;
      this.state = State.ChunkSizeLine;
    } else if (this.contentLength > 0) {
      this.hasBody = true;
      this.state = State.BodyIdentity;
      this.bodyRemaining = this.contentLength;
    } else {
      // RFC 9112 6.3 (7): a request with neither Content-Length nor Transfer-Encoding has no
      // body, so the head completes the message.
      this.state = State.RequestLineStart;
      this.headBytes = 0;
    }
    return null;
  }

  // ---- chunked (RFC 9112 7.1) --------------------------------------------------------------

  private parseChunkSizeLine(): ErrorCode | null {
    const buf = this.lineBuf;
    const end = this.lineEnd;
    const size = parseChunkSize(buf, this.lineStart, end);
    if (size < 0) return 'PERCORE_ERR_INVALID_CHUNK_SIZE';
    const i = chunkSizeEnd;
    if (i < end && buf[i] !== SEMICOLON && buf[i] !== SP && buf[i] !== HTAB) return 'PERCORE_ERR_INVALID_CHUNK_SIZE';
    const extensionCode = parseChunkExtensions(buf, i, end);
    if (extensionCode !== null) return extensionCode;

    this.bodyBytes += size;
    if (this.bodyBytes > this.limits.maxBodySize) return 'PERCORE_ERR_BODY_TOO_LARGE';
    if (size === 0) {
      this.state = State.TrailerLine;
      this.headBytes = 0;
    } else {
      this.state = State.ChunkData;
      this.bodyRemaining = size;
    }
    return null;
  }

  // ---- message boundaries ------------------------------------------------------------------

  private completeMessage(pos: number): number {
    this.state = State.RequestLineStart;
    this.headBytes = 0;
    this.event = ParseEvent.MessageComplete;
    return pos;
  }

  /**
   * Clears the previous message's state as the next request line begins. Until then the owner may
   * read the head's fields and the trailers; the headers array is handed over, never reused.
   */
  private beginMessage(): void {
    this.fields = [];
    this.trailers = null;
    this.method = '';
    this.target = '';
    this.versionMinor = 1;
    this.keepAlive = true;
    this.chunked = false;
    this.contentLength = 0;
    this.expectContinue = false;
    this.hasBody = false;
    this.bodyRemaining = 0;
    this.bodyBytes = 0;
    this.hostCount = 0;
    this.hostInvalid = false;
    this.contentLengthCount = 0;
    this.contentLengthInvalid = false;
    this.transferEncodingSeen = false;
    this.chunkedCount = 0;
    this.lastCodingIsChunked = false;
    this.otherCodings = 0;
    this.connectionClose = false;
    this.connectionKeepAlive = false;
    this.connectionUpgrade = false;
    this.upgradeSeen = false;
    this.upgrade = false;
    this.expectUnsupported = false;
  }

  private fail(code: ErrorCode, pos: number): number {
    this.state = State.Dead;
    this.error = code;
    this.event = ParseEvent.Error;
    this.partial = [];
    this.partialLength = 0;
    this.partialEndsWithCR = false;
    return pos;
  }
}

/** Header fields as byte positions: see `RequestParser.fields`. */
export type RawFields = Array<Buffer | number>;
const FIELD_STRIDE = 5;

/** The fields as strings, as sent: [name0, value0, name1, value1, ...]. */
export function fieldStrings(fields: RawFields): string[] {
  const strings: string[] = [];
  for (let i = 0; i < fields.length; i += FIELD_STRIDE) {
    const buf = fields[i] as Buffer;
    strings.push(
      buf.toString('latin1', fields[i + 1] as number, fields[i + 2] as number),
      buf.toString('latin1', fields[i + 3] as number, fields[i + 4] as number),
    );
  }
  return strings;
}

/**
 * The value of the field named `lower` (lower-case), repeats joined as the header record joins
 * them (', ', or '; ' for Cookie: RFC 9110 5.3, RFC 6265 5.4), or undefined. Compares the raw
 * name bytes in place: asking for a few fields makes no string of the others.
 */
export function fieldValue(fields: RawFields, lower: string): string | undefined {
  const length = lower.length;
  let value: string | undefined;
  for (let i = 0; i < fields.length; i += FIELD_STRIDE) {
    const start = fields[i + 1] as number;
    if ((fields[i + 2] as number) - start !== length) continue;
    const buf = fields[i] as Buffer;
    let j = 0;
    for (; j < length; j++) {
      let code = buf[start + j]!;
      if (code >= 0x41 && code <= 0x5a) code += 0x20; // A-Z to a-z: field names are case-insensitive (RFC 9110 5.1)
      if (code !== lower.charCodeAt(j)) break;
    }
    if (j !== length) continue;
    const text = buf.toString('latin1', fields[i + 3] as number, fields[i + 4] as number);
    value = value === undefined ? text : value + (lower === 'cookie' ? '; ' : ', ') + text;
  }
  return value;
}

const NEED_MORE = -1;
const FAILED = -2;
