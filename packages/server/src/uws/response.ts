// Rules cited as "rule N": docs/uws-rules.md
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
  /** The response is about to end: uWS's response object dies with it. */
  ending(): void;
  /** The handler made progress (for the response timeout). */
  progressed(): void;
  /** The handler ended the response (bytes may still wait for the socket: see `flushed`). */
  finished(): void;
  /** After `finished`: uWS holds the whole response; nothing of it waits on this object. */
  flushed(): void;
  /** After `finished`: the response cannot be completed; close the connection once what was written is out. */
  cut(): void;
}

/** The least idle time uWS 20.51/20.69 keeps a connection open for (3 sweeps of 4 s, the first at once). */
const KEEP_ALIVE = 'timeout=8';

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
  /**
   * Body bytes of a known-length body that tryEnd has not taken yet: tryEnd writes only what
   * the socket accepts and drops the rest, which onWritable retries from the write offset
   * `start` on. Later pieces queue behind it.
   */
  private pending: { body: Uint8Array; start: number; total: number } | null = null;
  /** Streaming with a declared length: tryEnd's total, and the body bytes given toward it. */
  private total = -1;
  private sentBytes = 0;
  /** Body bytes handed to uWS (which writes the head itself, uncounted): the observer's bytesOut. */
  bodyBytesOut = 0;
  /** uWS has the whole response: its object must not be touched again (it throws). */
  private nativeDone = false;
  /** flushed() or cut() has been reported to the owner. */
  private settled = false;
  /** The response told the client the connection closes (uWS then closes it). */
  private closeSent = false;

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

  /** uWS has no tasks to hand a socket to; its WebSockets are set up through the `websockets` option. */
  upgrade(): void {
    throw new PercoreError('PERCORE_ERR_UPGRADE_UNSUPPORTED', 'the uws engine cannot hand a connection to a task');
  }

  /** uWS writes the last chunk itself, with no trailer section. */
  override setTrailer(): this {
    throw new PercoreError('PERCORE_ERR_TRAILERS_UNSUPPORTED', 'the uws engine cannot send trailer fields');
  }

  /** @internal Whether a write waits for the client to read (onWritable has not come yet). */
  get waitingForClient(): boolean {
    return this.isBlocked;
  }

  /** @internal Whether the connection stays open for another request once this response is out. */
  get keepsConnection(): boolean {
    return !this.closeSent && !this.aborted;
  }

  /** @internal Whether uWS has been handed the whole response (its object is dead then). */
  get complete(): boolean {
    return this.nativeDone;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.aborted) return false;
    if (this.done) throw new PercoreError('PERCORE_ERR_RESPONSE_FINISHED', 'write after end');
    // Checked before anything goes out (the head included), as on the net engine: a refused
    // write changes nothing.
    const length = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    this.checkDeclaredLength(length);
    this.bodyBytesOut += length;
    let ok = true;
    this.corked(() => {
      // A streamed HEAD answer reports the declared length, if any, as on the net engine.
      if (!this.sentHead) {
        const closing = this.owner.closing || this.wantsClose;
        this.writeHead(this.headers?.declaredLength ?? -1, closing, closing);
      }
      if (this.isHead || statusHasNoBody(this.status) || length === 0) return;
      if (this.total >= 0) ok = this.sendKnownLength(chunk, this.total);
      else ok = this.native.write(chunk); // chunked; uWS buffers what the socket does not take
    });
    this.owner.progressed();
    if (!ok && !this.nativeDone) this.waitWritable();
    return ok;
  }

  end(body?: string | Uint8Array): void {
    if (this.aborted) return;
    if (this.done) throw new PercoreError('PERCORE_ERR_RESPONSE_FINISHED', 'end called twice');
    const closing = this.owner.closing || this.wantsClose;
    const bytes = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    if (this.sentHead) this.checkDeclaredLength(bytes);
    this.bodyBytesOut += bytes;
    this.owner.ending();
    this.corked(() => {
      const first = !this.sentHead;
      const noBody = this.isHead || statusHasNoBody(this.status);
      // Only a whole small body ends through end(body, closing), where uWS writes Connection: close
      // itself; every other way announces it in the head (see writeHead).
      const uwsCloses = first && !noBody && bytes <= LARGE_BODY;
      // RFC 9110 9.3.2: HEAD gets the length GET would have (the declared one, if any), without content.
      const declared = this.headers?.declaredLength ?? -1;
      if (first) this.writeHead(this.isHead && bytes === 0 && declared >= 0 ? declared : bytes, closing, closing && !uwsCloses);
      if (noBody) {
        // uWS 20.51.4: endWithoutBody(length) with length > 0 leaves the response pending (it waits
        // for `length` body bytes), and endWithoutBody(undefined, close) sends Content-Length
        // 2^63; either way the next request on the connection makes uWS close it. writeHead has
        // written the length; a bare endWithoutBody() completes the response.
        this.native.endWithoutBody();
        this.nativeDone = true;
      } else if (first && bytes > LARGE_BODY) {
        this.sendKnownLength(body!, bytes);
      } else if (this.total >= 0 && !first) {
        // Short of the declared length, the response stays incomplete: it is cut below.
        if (bytes > 0) this.sendKnownLength(body!, this.total);
      } else if (first) {
        this.native.end(body, closing);
        if (closing) this.closeSent = true;
        this.nativeDone = true;
      } else {
        // Streamed, chunked: uWS's end(body, true) writes "Connection: close" into the body once
        // the head is out, corrupting the chunked framing. writeHead announced the close instead.
        this.native.end(body);
        this.nativeDone = true;
      }
    });
    this.done = true;
    this.settleDrainWaiters();
    this.owner.finished();
    if (this.pending !== null)
      this.waitWritable(); // settles from onWritable
    else this.settle();
  }

  /**
   * Sends a piece of a body of `total` bytes through tryEnd. Returns false when the socket did
   * not take it all: the rest waits in `pending` for onWritable (tryEnd itself drops it).
   */
  private sendKnownLength(chunk: string | Uint8Array, total: number): boolean {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.sentBytes += bytes.byteLength;
    const pending = this.pending;
    if (pending !== null) {
      // Still retrying an earlier piece: this one goes after it.
      const offset = this.native.getWriteOffset();
      this.pending = { body: Buffer.concat([pending.body.subarray(offset - pending.start), bytes]), start: offset, total };
      return false;
    }
    const start = this.native.getWriteOffset();
    const [ok, done] = this.native.tryEnd(bytes, total);
    if (done) {
      this.nativeDone = true;
      return true;
    }
    if (!ok) this.pending = { body: bytes, start, total };
    return ok;
  }

  /** Retries the pending bytes from `offset`; returns whether they are all out. */
  private retryPending(offset: number): boolean {
    const pending = this.pending!;
    const [ok, done] = this.native.tryEnd(pending.body.subarray(offset - pending.start), pending.total);
    if (done) this.nativeDone = true;
    if (!ok && !done) return false;
    this.pending = null;
    return true;
  }

  /** The handler has ended and nothing waits: uWS holds the whole response, or it cannot complete. */
  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    // Not done here means a body short of its declared length: the message cannot complete.
    if (this.nativeDone) this.owner.flushed();
    else this.owner.cut();
  }

  /** Refuses a body piece past a declared Content-Length (PERCORE_ERR_INVALID_RESPONSE_HEADER). */
  private checkDeclaredLength(length: number): void {
    if (this.isHead || statusHasNoBody(this.status)) return;
    const declared = this.sentHead ? this.total : (this.headers?.declaredLength ?? -1);
    if (declared >= 0 && this.sentBytes + length > declared) {
      throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `body exceeds Content-Length ${declared}`);
    }
  }

  /**
   * Writes the status and the handler's headers; for HEAD, `headLength` (if >= 0) as
   * Content-Length; `Connection: close` when `announceClose` (uWS writes it itself only from
   * end(body, true)); and, on a connection that stays open, the idle timeout uWS keeps to.
   */
  private writeHead(headLength: number, closing: boolean, announceClose: boolean): void {
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
    // RFC 9110 8.6: no Content-Length on 1xx and 204 (nor on 304, which would have to match GET's).
    if (this.isHead && headLength >= 0 && !statusHasNoBody(status)) this.native.writeHeader('Content-Length', String(headLength));
    if (announceClose) {
      this.native.writeHeader('Connection', 'close');
      this.closeSent = true;
    } else if (!closing && (headers === null || !headers.has('keep-alive'))) {
      // uWS closes an idle connection 8 to 12 s after its last response (UWS_IDLE_CLOSE_MS in
      // engine.ts): a client that reuses it sooner is never cut off. A handler's own wins, as on net.
      this.native.writeHeader('Keep-Alive', KEEP_ALIVE);
    }
  }

  /** Rule 4: one onWritable handler per response, registered when a write first waits. */
  private waitWritable(): void {
    this.isBlocked = true;
    if (this.writableRegistered) return;
    this.writableRegistered = true;
    this.native.onWritable((offset) => {
      if (this.pending !== null && !this.retryPending(offset)) return false;
      this.isBlocked = false;
      if (this.done) {
        this.settle();
      } else {
        this.owner.progressed();
        this.drained();
      }
      return true;
    });
  }

  /** Rule 3: writes after the handler's callback has returned are corked. */
  private corked(write: () => void): void {
    // A declared length met by write() leaves nothing to send, and uWS's object is dead.
    if (this.nativeDone) return;
    if (this.owner.inCallback) write();
    else this.native.cork(write);
  }
}
