import type { ResolvedHttpOptions } from '../http/options.js';
import { RequestParser, type ParserSink } from './parser.js';

/**
 * Spare parsers kept beyond this are dropped: after a burst of connections, the pool holds no
 * more than this many (about 350 bytes each).
 */
const MAX_SPARE_PARSERS = 1024;

/**
 * The parsers of one server's connections. A connection holds a parser only from the first byte
 * of a request until it is idle again, then gives it back here for the next reader: an idle
 * keep-alive connection holds none, and a new connection usually takes one instead of making one.
 */
export class ParserPool {
  private readonly spare: RequestParser[] = [];

  constructor(private readonly limits: ResolvedHttpOptions) {}

  /** A parser between messages, feeding `sink`. */
  take(sink: ParserSink): RequestParser {
    const parser = this.spare.pop();
    if (parser === undefined) return new RequestParser(this.limits, sink);
    parser.rebind(sink);
    return parser;
  }

  /** Takes back a parser that is between messages (`idle`) and has let go of the last one. */
  give(parser: RequestParser): void {
    if (this.spare.length < MAX_SPARE_PARSERS) this.spare.push(parser);
  }
}
