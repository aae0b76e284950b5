/**
 * Runs percore's RequestParser over some bytes, fed in the pieces given, and records what it
 * reported: every message (head, body, trailers, framing) and the error it stopped with. Checks
 * the invariants as it goes and throws an InvariantError when one breaks: the parser must make
 * progress (no hang), and what it holds must stay within its configured limits.
 */
import { fieldStrings, ParseEvent, RequestParser } from '../../src/net/parser.js';
import type { HttpLimits } from '../../src/http/options.js';

export interface TracedMessage {
  method: string;
  target: string;
  versionMinor: number;
  /** [name0, value0, ...] as sent. */
  headers: string[];
  chunked: boolean;
  /** Content-Length; -1 when chunked. */
  contentLength: number;
  keepAlive: boolean;
  upgrade: boolean;
  /** The body as latin1 (chunked framing removed). */
  body: string;
  trailers: string[] | null;
  /** Whether the body's end was reached (false: the input ended inside it). */
  complete: boolean;
}

export interface Trace {
  messages: TracedMessage[];
  /** The error code the parser stopped with, or null. */
  error: string | null;
  /** Whether the parser ended between messages. */
  idle: boolean;
  /** Whether the input ended inside a line (a head line or a chunk-size line): nothing judged yet. */
  midLine: boolean;
  /** The method of the request line last parsed (of a head still in progress, too), or ''. */
  lastMethod: string;
}

export class InvariantError extends Error {}

/** A chunk-size line's limit in parser.ts (MAX_CHUNK_LINE). */
const MAX_CHUNK_LINE = 4096;

/** Cuts `input` at the given offsets (sorted, deduplicated, inside the input). */
export function piecesAt(input: Buffer, splits: readonly number[]): Buffer[] {
  const cuts = [...new Set(splits.filter((cut) => cut > 0 && cut < input.length))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    pieces.push(input.subarray(start, cut));
    start = cut;
  }
  pieces.push(input.subarray(start));
  return pieces;
}

export function tracePercore(pieces: readonly Buffer[], limits: HttpLimits): Trace {
  const messages: TracedMessage[] = [];
  let body: Buffer[] = [];
  let current: TracedMessage | null = null;
  const parser = new RequestParser(limits, { onBody: (chunk) => body.push(Buffer.from(chunk)) });
  // The most a parser may hold: the longest line limit plus a split CR, and its field lists.
  const maxBuffered = Math.max(limits.maxHeaderSize, limits.maxRequestLineLength, MAX_CHUNK_LINE) + 1;

  const finish = (complete: boolean) => {
    current!.body = Buffer.concat(body).toString('latin1');
    current!.trailers = parser.trailers === null ? null : [...parser.trailers];
    current!.complete = complete;
    messages.push(current!);
    current = null;
    body = [];
  };

  for (const piece of pieces) {
    let offset = 0;
    // Each call consumes bytes or reports a head or message: at most two events per byte.
    let rounds = 0;
    while (offset < piece.length || rounds === 0) {
      if (++rounds > 2 * piece.length + 2) throw new InvariantError(`no progress at offset ${offset} of a ${piece.length}-byte piece`);
      const before = offset;
      offset = parser.execute(piece, offset);
      if (offset < before || offset > piece.length) throw new InvariantError(`execute returned ${offset} from ${before}`);
      if (parser.bufferedBytes > maxBuffered) throw new InvariantError(`holds ${parser.bufferedBytes} bytes of a split line`);
      if (parser.fields.length > limits.maxHeaderCount * 5) throw new InvariantError(`holds ${parser.fields.length / 5} fields`);
      if (parser.trailers !== null && parser.trailers.length > limits.maxHeaderCount * 2) throw new InvariantError('too many trailers');
      const event = parser.event;
      if (event === ParseEvent.Error) {
        if (current !== null) finish(false);
        return { messages, error: parser.error, idle: false, midLine: false, lastMethod: parser.method };
      }
      if (event === ParseEvent.HeadComplete) {
        current = {
          method: parser.method,
          target: parser.target,
          versionMinor: parser.versionMinor,
          headers: fieldStrings(parser.fields),
          chunked: parser.chunked,
          contentLength: parser.contentLength,
          keepAlive: parser.keepAlive,
          upgrade: parser.upgrade,
          body: '',
          trailers: null,
          complete: false,
        };
        if (!parser.hasBody) finish(true);
      } else if (event === ParseEvent.MessageComplete) {
        finish(true);
      } else if (offset !== piece.length) {
        throw new InvariantError(`NeedMore at ${offset} of ${piece.length}`);
      }
      if (piece.length === 0) break;
    }
  }
  if (current !== null) finish(false);
  return { messages, error: null, idle: parser.idle, midLine: parser.bufferedBytes > 0, lastMethod: parser.method };
}
