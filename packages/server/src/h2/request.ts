import type { IncomingHttpHeaders } from 'node:http2';
import type { HttpRequest } from '../http/api.js';
import { buildHeaderRecord } from '../http/header-record.js';
import { RequestBase } from '../http/request-base.js';
import type { BodyOwner } from '../http/request-body.js';

/** What a request needs from the stream that carries it. */
export interface Http2RequestOwner extends BodyOwner {
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/**
 * A request on an HTTP/2 stream, with the fields a handler reads on HTTP/1.x: `method` and
 * `target` come from the `:method` and `:path` pseudo-headers, and `:authority` is presented as
 * `host` (RFC 9113 8.3.1: it takes Host's place), so host-based routing works on both. Pseudo-
 * headers are not among `headers` or `rawHeaders`.
 */
export class Http2Request extends RequestBase implements HttpRequest {
  readonly httpVersion = '2.0' as const;
  readonly method: string;
  readonly target: string;
  private regular: readonly string[] | undefined;
  private readonly authority: string | undefined;
  private headerRecord: Record<string, string> | undefined;
  private pathPart: string | undefined;
  private queryPart = '';

  constructor(
    private readonly owner: Http2RequestOwner,
    pseudo: IncomingHttpHeaders,
    /** node:http2's flat [name, value, ...] list, pseudo-headers first. */
    private readonly flat: readonly string[],
    hasBody: boolean,
  ) {
    super(owner, hasBody);
    this.method = pseudo[':method'] ?? 'GET';
    // RFC 9113 8.5: CONNECT names an authority and has no :path.
    this.target = pseudo[':path'] ?? pseudo[':authority'] ?? '';
    this.authority = pseudo[':authority'];
  }

  /** Built on first use: a handler that reads no header pays for no copy of the list. */
  get rawHeaders(): readonly string[] {
    return (this.regular ??= regularFields(this.flat, this.authority));
  }

  get headers(): Readonly<Record<string, string>> {
    return (this.headerRecord ??= buildHeaderRecord(this.rawHeaders));
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  get path(): string {
    if (this.pathPart === undefined) this.splitTarget();
    return this.pathPart!;
  }

  get query(): string {
    if (this.pathPart === undefined) this.splitTarget();
    return this.queryPart;
  }

  get remoteAddress(): string {
    return this.owner.remoteAddress;
  }

  get remotePort(): number {
    return this.owner.remotePort;
  }

  /** @internal The client's trailer fields (a HEADERS frame after the body), as a flat list. */
  static trailerFields(flat: readonly string[]): string[] {
    return regularFields(flat, undefined);
  }

  private splitTarget(): void {
    const question = this.target.indexOf('?');
    this.pathPart = question === -1 ? this.target : this.target.slice(0, question);
    this.queryPart = question === -1 ? '' : this.target.slice(question + 1);
  }
}

/** The regular fields of a flat list; `authority`, when given and no Host was sent, leads as `host`. */
function regularFields(flat: readonly string[], authority: string | undefined): string[] {
  const fields: string[] = [];
  let sawHost = false;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    if (name.charCodeAt(0) === 0x3a /* : */) continue;
    if (name === 'host') sawHost = true;
    fields.push(name, flat[i + 1]!);
  }
  // RFC 9113 8.3.1: a Host that was sent must match :authority, so it stands as it is.
  if (authority !== undefined && !sawHost) fields.unshift('host', authority);
  return fields;
}
