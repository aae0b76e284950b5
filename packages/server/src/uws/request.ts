import type { HttpRequest as NativeRequest, HttpResponse as NativeResponse } from 'uws-node18-23';
import { PercoreError } from '../errors.js';
import type { HttpRequest } from '../http/api.js';
import { RequestBody, type BodyOwner } from '../http/request-body.js';
import { buildHeaderRecord } from '../http/request.js';

/**
 * A request on the `uws` engine. uWS's request object is stack-allocated and dead once its
 * callback returns (rule 5), so method, path and query are copied at once, and the headers and
 * remote address are read from it only while it lives: on first use inside the callback, or
 * all of them when the handler goes asynchronous. A hello handler that answers at once copies
 * no header at all.
 */
export class UwsRequest extends RequestBody implements HttpRequest {
  readonly httpVersion = '1.1' as const;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly target: string;
  private native: NativeRequest | null;
  private nativeResponse: NativeResponse | null;
  private headerStrings: string[] | null = null;
  private headerRecord: Record<string, string> | null = null;
  private address: string | null = null;

  constructor(owner: BodyOwner, native: NativeRequest, nativeResponse: NativeResponse, hasBody: boolean) {
    super(owner, hasBody);
    this.native = native;
    this.nativeResponse = nativeResponse;
    this.method = native.getCaseSensitiveMethod();
    this.path = native.getUrl();
    // getQuery() is undefined when the target has no '?', and '' when it ends in one: telling the
    // two apart keeps `target` exactly as sent ('/q?' stays '/q?', as on the net engine).
    const query = native.getQuery() as string | undefined;
    this.query = query ?? '';
    this.target = query === undefined ? this.path : `${this.path}?${query}`;
  }

  /** uWS hands header names over in lower case; the names as sent are not kept. */
  get rawHeaders(): readonly string[] {
    if (this.headerStrings === null) {
      const native = this.alive();
      const strings: string[] = [];
      native.forEach((name, value) => strings.push(name, value));
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
      if (this.nativeResponse === null) this.alive();
      this.address = Buffer.from(this.nativeResponse!.getRemoteAddressAsText()).toString('latin1');
    }
    return this.address;
  }

  /** uWS does not report the peer's port. */
  get remotePort(): number {
    return 0;
  }

  /** @internal The handler went asynchronous: copy what is still only in uWS's memory. */
  capture(): void {
    if (this.native === null) return;
    void this.rawHeaders;
    void this.remoteAddress;
    this.native = null;
    this.nativeResponse = null;
  }

  /** @internal The callback returned with the response finished: uWS's request is gone. */
  expire(): void {
    this.native = null;
    this.nativeResponse = null;
  }

  private alive(): NativeRequest {
    if (this.native === null) {
      throw new PercoreError('PERCORE_ERR_REQUEST_EXPIRED', 'on the uws engine, read headers before the handler ends the response and returns');
    }
    return this.native;
  }
}
