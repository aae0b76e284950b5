import type { HttpResponse as NativeResponse } from 'uws-node18-23';
import { PercoreError } from '../errors.js';
import { ResponseBase } from '../http/response-base.js';
import { reasonPhrase, statusHasNoBody } from '../http/status.js';

/** What a uWS response needs from its exchange. */
export interface UwsResponseOwner {
  /** Whether we are inside uWS's callback, where writes need no cork. */
  readonly inCallback: boolean;
  /** Whether each response should close its connection (the server is draining). */
  readonly closing: boolean;
  /** The handler made progress (for the response timeout). */
  progressed(): void;
  finished(): void;
}

/** Bodies larger than this go out through tryEnd and onWritable instead of one end() (rule 4). */
const LARGE_BODY = 64 * 1024;

const statusLines: string[] = [];
function statusText(status: number): string {
  return (statusLines[status] ??= `${status} ${reasonPhrase(status)}`);
}

/**
 * A response on the `uws` engine. uWS writes Date and Content-Length itself; this class adds
 * percore's semantics: status and headers until the first byte, corked writes after the
 * callback (rule 3), tryEnd with onWritable for large bodies and declared lengths (rule 4),
 * and one onWritable handler per response at most.
 */
export class UwsResponse extends ResponseBase {
  private isBlocked = false;
  private writableRegistered = false;
  /** A large body being sent through tryEnd: the bytes, and the write offset it started at. */
  private pending: { body: Uint8Array; start: number } | null = null;
  /** Streaming with a declared length: tryEnd's total. */
  private total = -1;

  constructor(
    private readonly owner: UwsResponseOwner,
    private readonly native: NativeResponse,
    private readonly isHead: boolean,
  ) {
    super();
  }

  protected get blocked(): boolean {
    return this.isBlocked;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.aborted) return false;
    if (this.done) throw new PercoreError('PERCORE_ERR_RESPONSE_FINISHED', 'write after end');
    let ok = true;
    this.corked(() => {
      if (!this.sentHead) this.writeHead();
      if (this.isHead || statusHasNoBody(this.status)) return;
      if (this.total >= 0) {
        const offset = this.native.getWriteOffset();
        const length = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
        if (offset + length > this.total) throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `body exceeds Content-Length ${this.total}`);
        [ok] = this.native.tryEnd(chunk, this.total);
      } else {
        ok = this.native.write(chunk); // chunked
      }
    });
    this.owner.progressed();
    if (!ok) this.waitWritable();
    return ok;
  }

  end(body?: string | Uint8Array): void {
    if (this.aborted) return;
    if (this.done) throw new PercoreError('PERCORE_ERR_RESPONSE_FINISHED', 'end called twice');
    const closing = this.owner.closing || this.wantsClose;
    this.corked(() => {
      const first = !this.sentHead;
      if (first) this.writeHead();
      const bytes = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      if (this.isHead) {
        // RFC 9110 9.3.2: the length GET would have, without content.
        this.native.endWithoutBody(first ? bytes : undefined, closing);
      } else if (statusHasNoBody(this.status)) {
        this.native.endWithoutBody(undefined, closing);
      } else if (first && bytes > LARGE_BODY) {
        const buffer = typeof body === 'string' ? Buffer.from(body) : body!;
        this.pending = { body: buffer, start: this.native.getWriteOffset() };
        const [ok, done] = this.native.tryEnd(buffer, buffer.byteLength);
        if (!ok && !done) this.waitWritable();
        else this.pending = null;
      } else if (this.total >= 0 && !first) {
        if (bytes > 0) this.native.tryEnd(body!, this.total);
        // A declared length the body fell short of leaves the message incomplete: close.
        if (this.native.getWriteOffset() < this.total) this.native.close();
      } else {
        this.native.end(body, closing);
      }
    });
    this.done = true;
    this.settleDrainWaiters();
    this.owner.finished();
  }

  private writeHead(): void {
    const status = this.status;
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new PercoreError('PERCORE_ERR_INVALID_STATUS', String(status));
    this.sentHead = true;
    if (status !== 200) this.native.writeStatus(statusText(status));
    const headers = this.headers;
    if (headers !== null) {
      const { names, values } = headers;
      for (let i = 0; i < names.length; i++) this.native.writeHeader(names[i]!, values[i]!);
      if (headers.declaredLength >= 0 && !this.isHead) this.total = headers.declaredLength;
    }
  }

  /** Rule 4: one onWritable handler per response, registered when a write first waits. */
  private waitWritable(): void {
    this.isBlocked = true;
    if (this.writableRegistered) return;
    this.writableRegistered = true;
    this.native.onWritable((offset) => {
      const pending = this.pending;
      if (pending !== null) {
        const [ok, done] = this.native.tryEnd(pending.body.subarray(offset - pending.start), pending.body.byteLength);
        if (done) this.pending = null;
        if (!ok) return false;
      }
      this.isBlocked = false;
      this.owner.progressed();
      this.drained();
      return true;
    });
  }

  /** Rule 3: writes after the handler's callback has returned are corked. */
  private corked(write: () => void): void {
    if (this.owner.inCallback) write();
    else this.native.cork(write);
  }
}
