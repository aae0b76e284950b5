/** @percore/server/parser: the HTTP/1.x request parser (RFC 9112), for tools and fuzzers. */
export { fieldStrings, ParseEvent, RequestParser, type ParserSink, type RawFields } from '../net/parser.js';
export { defaultHttpOptions, resolveHttpOptions, type HttpLimits, type ResolvedHttpOptions } from '../http/options.js';
