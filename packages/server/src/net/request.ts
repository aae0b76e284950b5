import type { HttpRequest } from '../http/api.js';
import { fieldStrings, fieldValue, type RawFields } from './parser.js';
import type { BodyOwner } from '../http/request-body.js';
import { RequestBase } from '../http/request-base.js';
import { buildHeaderRecord } from '../http/header-record.js';

/** What a request needs from the connection that received it. */
export interface RequestOwner extends BodyOwner {
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/**
 * A request on the `net` engine. Cheap to make: path, query and the header record are computed on
 * first use. The body arrives as views of the socket's reads, queued for the reader, with the
 * socket paused while the reader is more than `bodyHighWaterMark` behind.
 */
export class NetRequest extends RequestBase implements HttpRequest {
  readonly httpVersion: '1.0' | '1.1';
  private pathPart: string | undefined;
  private queryPart = '';
  private headerRecord: Record<string, string> | undefined;
  private headerStrings: string[] | undefined;

  constructor(
    private readonly owner: RequestOwner,
    readonly method: string,
    readonly target: string,
    versionMinor: number,
    private readonly fields: RawFields,
    /** Whether the client asked for 100-continue before sending its body. */
    readonly expectContinue: boolean,
    hasBody: boolean,
  ) {
    super(owner, hasBody);
    this.httpVersion = versionMinor === 0 ? '1.0' : '1.1';
  }

  get path(): string {
    if (this.pathPart === undefined) this.splitTarget();
    return this.pathPart!;
  }

  get query(): string {
    if (this.pathPart === undefined) this.splitTarget();
    return this.queryPart;
  }

  get rawHeaders(): readonly string[] {
    return (this.headerStrings ??= fieldStrings(this.fields));
  }

  get headers(): Readonly<Record<string, string>> {
    return (this.headerRecord ??= buildHeaderRecord(this.rawHeaders));
  }

  /** Without building the record: a handler that asks for a few fields pays for those alone. */
  header(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.headerRecord !== undefined ? this.headerRecord[lower] : fieldValue(this.fields, lower);
  }

  get remoteAddress(): string {
    return this.owner.remoteAddress;
  }

  get remotePort(): number {
    return this.owner.remotePort;
  }

  /** RFC 9112 3.2: splits origin-form and absolute-form targets into path and query. */
  private splitTarget(): void {
    const target = this.target;
    let pathStart = 0;
    if (target.charCodeAt(0) !== 0x2f /* / */) {
      if (target === '*') {
        this.pathPart = '*';
        return;
      }
      // absolute-form: the path starts at the first '/' after "scheme://authority".
      const authority = target.indexOf('://') + 3;
      let end = authority;
      while (end < target.length && target[end] !== '/' && target[end] !== '?') end++;
      if (end === target.length || target[end] === '?') {
        this.pathPart = '/';
        this.queryPart = end === target.length ? '' : target.slice(end + 1);
        return;
      }
      pathStart = end;
    }
    const question = target.indexOf('?', pathStart);
    if (question === -1) {
      this.pathPart = pathStart === 0 ? target : target.slice(pathStart);
    } else {
      this.pathPart = target.slice(pathStart, question);
      this.queryPart = target.slice(question + 1);
    }
  }
}
