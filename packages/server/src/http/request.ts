import { PercoreError } from '../errors.js';
import type { BodyReadOptions, HttpRequest } from './api.js';
import { fieldStrings, type RawFields } from './parser.js';

/** What a request needs from the connection that received it. */
export interface RequestOwner {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly maxBodySize: number;
  readonly bodyHighWaterMark: number;
  /** The reader wants the body: send `100 Continue` if the client is waiting for it. */
  bodyWanted(request: NetRequest): void;
  /** The reader fell behind (true) or caught up (false): stop or restart reading the socket. */
  bodyBackpressure(request: NetRequest, paused: boolean): void;
}

const enum BodyState {
  Open,
  Ended,
  Failed,
  /** Nobody will read the rest: it is dropped as it arrives. */
  Discarding,
}

const EMPTY_HEADERS: readonly string[] = Object.freeze([]);

/**
 * A request on the `net` engine. Cheap to make: path, query and the header record are computed on
 * first use. The body arrives as views of the socket's reads, queued for the reader, with the
 * socket paused while the reader is more than `bodyHighWaterMark` behind.
 */
export class NetRequest implements HttpRequest, AsyncIterator<Buffer> {
  readonly httpVersion: '1.0' | '1.1';
  private pathPart: string | undefined;
  private queryPart = '';
  private headerRecord: Record<string, string> | undefined;
  private headerStrings: string[] | undefined;
  private bodyState: BodyState;
  private used = false;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private paused = false;
  private waiting: { resolve: (result: IteratorResult<Buffer>) => void; reject: (error: unknown) => void } | null = null;
  private failure: unknown = null;
  private trailerFields: readonly string[] = EMPTY_HEADERS;

  constructor(
    private readonly owner: RequestOwner,
    readonly method: string,
    readonly target: string,
    versionMinor: number,
    private readonly fields: RawFields,
    /** @internal Whether the client asked for 100-continue before sending its body. */
    readonly expectContinue: boolean,
    hasBody: boolean,
  ) {
    this.httpVersion = versionMinor === 0 ? '1.0' : '1.1';
    this.bodyState = hasBody ? BodyState.Open : BodyState.Ended;
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

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  get remoteAddress(): string {
    return this.owner.remoteAddress;
  }

  get remotePort(): number {
    return this.owner.remotePort;
  }

  get trailers(): readonly string[] {
    return this.trailerFields;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  async bytes(options?: BodyReadOptions): Promise<Buffer> {
    const limit = options?.limit ?? this.owner.maxBodySize;
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of this) {
      length += chunk.length;
      if (length > limit) {
        this.discard();
        throw new PercoreError('PERCORE_ERR_BODY_TOO_LARGE', `more than ${limit} bytes`);
      }
      chunks.push(chunk);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  }

  async text(options?: BodyReadOptions): Promise<string> {
    return (await this.bytes(options)).toString('utf8');
  }

  async json<T = unknown>(options?: BodyReadOptions): Promise<T> {
    const text = await this.text(options);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new PercoreError('PERCORE_ERR_INVALID_JSON', (error as Error).message, { cause: error });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.used) throw new PercoreError('PERCORE_ERR_BODY_ALREADY_READ');
    this.used = true;
    if (this.bodyState === BodyState.Open) this.owner.bodyWanted(this);
    return this;
  }

  /** @internal AsyncIterator */
  next(): Promise<IteratorResult<Buffer>> {
    if (this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      if (this.paused && this.queuedBytes <= this.owner.bodyHighWaterMark / 2) {
        this.paused = false;
        this.owner.bodyBackpressure(this, false);
      }
      return Promise.resolve({ value: chunk, done: false });
    }
    switch (this.bodyState) {
      case BodyState.Ended:
      case BodyState.Discarding:
        return Promise.resolve({ value: undefined, done: true });
      case BodyState.Failed:
        return Promise.reject(this.failure);
      case BodyState.Open:
        return new Promise((resolve, reject) => {
          this.waiting = { resolve, reject };
        });
    }
  }

  /** @internal AsyncIterator: the reader stopped early (a `break` out of `for await`). */
  return(): Promise<IteratorResult<Buffer>> {
    this.discard();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** @internal The connection delivers a piece of the body. */
  pushBody(chunk: Buffer): void {
    if (this.bodyState !== BodyState.Open || chunk.length === 0) return;
    const waiting = this.waiting;
    if (waiting !== null) {
      this.waiting = null;
      waiting.resolve({ value: chunk, done: false });
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (!this.paused && this.queuedBytes > this.owner.bodyHighWaterMark) {
      this.paused = true;
      this.owner.bodyBackpressure(this, true);
    }
  }

  /** @internal The body is complete. */
  endBody(trailers: readonly string[] | null): void {
    if (trailers !== null) this.trailerFields = trailers;
    if (this.bodyState !== BodyState.Open) return;
    this.bodyState = BodyState.Ended;
    const waiting = this.waiting;
    if (waiting !== null) {
      this.waiting = null;
      waiting.resolve({ value: undefined, done: true });
    }
  }

  /** @internal The body cannot complete (the client went away, or sent a malformed body). */
  failBody(error: unknown): void {
    if (this.bodyState !== BodyState.Open) return;
    this.bodyState = BodyState.Failed;
    this.failure = error;
    this.queue = [];
    this.queuedBytes = 0;
    const waiting = this.waiting;
    if (waiting !== null) {
      this.waiting = null;
      waiting.reject(error);
    }
  }

  /** @internal Nobody will read the rest of the body: drop it, and stop holding the socket. */
  discard(): void {
    if (this.bodyState !== BodyState.Open) return;
    this.bodyState = BodyState.Discarding;
    this.queue = [];
    this.queuedBytes = 0;
    if (this.paused) {
      this.paused = false;
      this.owner.bodyBackpressure(this, false);
    }
    const waiting = this.waiting;
    if (waiting !== null) {
      this.waiting = null;
      waiting.resolve({ value: undefined, done: true });
    }
  }

  /** @internal Whether the body is still arriving for a reader (not ended, failed or dropped). */
  get bodyOpen(): boolean {
    return this.bodyState === BodyState.Open;
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

/** Lower-case names; repeats joined with ', ', or '; ' for Cookie (RFC 9110 5.3, RFC 6265 5.4). */
export function buildHeaderRecord(raw: readonly string[]): Record<string, string> {
  const record: Record<string, string> = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const existing = record[name];
    record[name] = existing === undefined ? value : existing + (name === 'cookie' ? '; ' : ', ') + value;
  }
  return record;
}
