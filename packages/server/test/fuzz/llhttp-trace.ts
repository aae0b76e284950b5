/**
 * Runs node:http's own parser (llhttp, through the in-process HTTPParser binding that node's
 * server uses) over the same bytes, with node's defaults: strict (no lenient flags). No sockets:
 * one parser, re-initialized per input.
 */
import { createRequire } from 'node:module';

interface NodeHttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  /** The bytes parsed, an Error with the HPE_* code, or undefined (nothing to parse). */
  execute(data: Buffer): number | (Error & { code: string; bytesParsed: number }) | undefined;
  [key: number]: unknown;
}
interface HttpCommon {
  HTTPParser: {
    new (): NodeHttpParser;
    REQUEST: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
  };
  methods: string[];
}

// `_http_common` is node's own module for its server; unlike process.binding it is not deprecated.
const { HTTPParser, methods } = createRequire(import.meta.url)('_http_common') as HttpCommon;

/** The methods llhttp knows; any other token is HPE_INVALID_METHOD in a request. */
export const llhttpMethods: ReadonlySet<string> = new Set(methods);

export interface LlhttpMessage {
  method: string;
  target: string;
  versionMinor: number;
  versionMajor: number;
  headers: string[];
  keepAlive: boolean;
  upgrade: boolean;
  body: string;
  /** Trailer fields of a chunked body, or null. */
  trailers: string[] | null;
  complete: boolean;
}

export interface LlhttpTrace {
  messages: LlhttpMessage[];
  /** The HPE_* code, or null. */
  error: string | null;
}

let messages: LlhttpMessage[] = [];
let headers: string[] = [];
let body: Buffer[] = [];
let url = '';

const parser = new HTTPParser();

function install(): void {
  parser[HTTPParser.kOnHeaders] = (more: string[], moreUrl: string) => {
    headers.push(...more);
    url += moreUrl;
  };
  parser[HTTPParser.kOnHeadersComplete] = (
    versionMajor: number,
    versionMinor: number,
    last: string[] | undefined,
    method: number,
    lastUrl: string | undefined,
    _status: unknown,
    _message: unknown,
    upgrade: boolean,
    keepAlive: boolean,
  ) => {
    const all = last === undefined ? headers : [...headers, ...last];
    messages.push({
      method: methods[method] ?? `#${method}`,
      target: url + (lastUrl ?? ''),
      versionMajor,
      versionMinor,
      headers: all,
      keepAlive,
      upgrade,
      body: '',
      trailers: null,
      complete: false,
    });
    headers = [];
    url = '';
    return 0;
  };
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => body.push(Buffer.from(chunk));
  parser[HTTPParser.kOnMessageComplete] = () => {
    const message = messages[messages.length - 1]!;
    message.body = Buffer.concat(body).toString('latin1');
    message.complete = true;
    // Trailers arrive through kOnHeaders just before this (node flushes them with the old URL).
    if (headers.length > 0) message.trailers = headers;
    headers = [];
    url = '';
    body = [];
  };
}

export function traceLlhttp(input: Buffer, maxHeaderSize: number): LlhttpTrace {
  messages = [];
  headers = [];
  body = [];
  url = '';
  parser.initialize(HTTPParser.REQUEST, {}, maxHeaderSize, 0);
  install();
  const result = parser.execute(input);
  const last = messages[messages.length - 1];
  if (last !== undefined && !last.complete) last.body = Buffer.concat(body).toString('latin1');
  return { messages, error: result instanceof Error ? result.code : null };
}
