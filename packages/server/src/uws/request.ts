// Rules cited as "rule N": docs/uws-rules.md
import type { HttpRequest as NativeRequest, HttpResponse as NativeResponse } from 'uws-node18-23';
import { PercoreError } from '../errors.js';
import type { HttpRequest } from '../http/api.js';
import type { BodyOwner } from '../http/request-body.js';
import { RequestBase } from '../http/request-base.js';
import { buildHeaderRecord } from '../http/header-record.js';

/** What a uWS request needs from its exchange to receive a body. */
export interface UwsBodyOwner extends BodyOwner {
  /** Attach uWS's onData (rule 6): the request has a body and someone may read it. */
  receiveBody(): void;
}

/**
 * A request on the `uws` engine. uWS's request object is stack-allocated and dead once its
 * callback returns (rule 5), and its response object dies with a successful response. Every
 * field is read from them on first use, lazily: a hello handler that answers at once makes no
 * native call for its request (copying everything measured 17% of raw uWS's throughput).
 *
 * Safe either way: when the handler goes asynchronous, everything is copied before the callback
 * returns (`capture`); after a synchronous end, a field nobody read is gone, and reading it
 * throws PERCORE_ERR_REQUEST_EXPIRED rather than touching freed memory.
 */
export class UwsRequest extends RequestBase implements HttpRequest {
  readonly httpVersion = '1.1' as const;
  private native: NativeRequest | null;
  private nativeResponse: NativeResponse | null;
  private methodValue: string | null = null;
  private pathValue: string | null = null;
  /** undefined: not read yet; null: the target has no '?'. */
  private queryValue: string | null | undefined = undefined;
  private headerStrings: string[] | null = null;
  private headerRecord: Record<string, string> | null = null;
  private address: string | null = null;
  private bodyChecked = false;

  constructor(
    private readonly uwsOwner: UwsBodyOwner,
    native: NativeRequest,
    nativeResponse: NativeResponse,
    /** Known from the route, or read by it already: no native call needed. */
    method: string | null,
  ) {
    // Assume a body until the headers say otherwise (checkBody), so nothing is lost meanwhile.
    super(uwsOwner, true);
    this.native = native;
    this.nativeResponse = nativeResponse;
    this.methodValue = method;
  }

  get method(): string {
    return (this.methodValue ??= this.live().getCaseSensitiveMethod());
  }

  get path(): string {
    return (this.pathValue ??= this.live().getUrl());
  }

  get query(): string {
    return this.rawQuery() ?? '';
  }

  /** As sent: '/q?' keeps its '?', as on the net engine. */
  get target(): string {
    const query = this.rawQuery();
    return query === null ? this.path : `${this.path}?${query}`;
  }

  /** uWS hands header names over in lower case; the names as sent are not kept. */
  get rawHeaders(): readonly string[] {
    if (this.headerStrings === null) {
      const strings: string[] = [];
      this.live().forEach((name, value) => strings.push(name, value));
      this.headerStrings = strings;
    }
    return this.headerStrings;
  }

  get headers(): Readonly<Record<string, string>> {
    return (this.headerRecord ??= buildHeaderRecord(this.rawHeaders));
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  get remoteAddress(): string {
    if (this.address === null) {
      if (this.nativeResponse === null) throw expired('remoteAddress');
      this.address = Buffer.from(this.nativeResponse.getRemoteAddressAsText()).toString('latin1');
    }
    return this.address;
  }

  /** uWS does not report the peer's port. */
  get remotePort(): number {
    return 0;
  }

  /**
   * @internal The handler is going asynchronous: copy everything before uWS's callback returns,
   * and make sure a body is received (rule 6: onData before going async).
   */
  capture(): void {
    if (this.native === null) return;
    this.checkBody();
    void this.method;
    void this.target;
    void this.rawHeaders;
    if (this.nativeResponse !== null) void this.remoteAddress;
    this.native = null;
    this.nativeResponse = null;
  }

  /** @internal uWS's callback returned with the response done: its request is gone. */
  expire(): void {
    this.native = null;
    this.nativeResponse = null;
  }

  /** @internal The response is about to end: uWS's response object dies with it. */
  responseEnding(): void {
    this.nativeResponse = null;
  }

  protected override prepareBody(): void {
    this.checkBody();
  }

  private rawQuery(): string | null {
    if (this.queryValue === undefined) this.queryValue = (this.live().getQuery() as string | undefined) ?? null;
    return this.queryValue;
  }

  /** Reads the framing headers once, while uWS's request lives: no body, or onData attached. */
  private checkBody(): void {
    if (this.bodyChecked) return;
    this.bodyChecked = true;
    const native = this.native;
    if (native === null) return;
    const contentLength = native.getHeader('content-length');
    const hasBody = (contentLength !== '' && contentLength !== '0') || native.getHeader('transfer-encoding') !== '';
    if (hasBody) this.uwsOwner.receiveBody();
    else this.endBody(null);
  }

  private live(): NativeRequest {
    if (this.native === null) throw expired('the request');
    return this.native;
  }
}

function expired(what: string): PercoreError {
  return new PercoreError(
    'PERCORE_ERR_REQUEST_EXPIRED',
    `${what}: on the uws engine, read the request before a response ended synchronously returns (or go async first)`,
  );
}
