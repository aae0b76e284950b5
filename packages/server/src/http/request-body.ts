import { PercoreError } from '../errors.js';
import type { BodyReadOptions } from './api.js';

/** What a request body needs from the engine that receives it. */
export interface BodyOwner {
  readonly maxBodySize: number;
  readonly bodyHighWaterMark: number;
  /** The reader wants the body (the net engine sends `100 Continue` if the client waits for it). */
  bodyWanted(request: RequestBody): void;
  /** The reader fell behind (true) or caught up (false): stop or restart reading the socket. */
  bodyBackpressure(request: RequestBody, paused: boolean): void;
}

const enum BodyState {
  Open,
  Ended,
  Failed,
  /** Nobody will read the rest: it is dropped as it arrives. */
  Discarding,
}

const EMPTY_FIELDS: readonly string[] = Object.freeze([]);

/**
 * A request body as every engine delivers it: pieces queued for one reader, buffered with a limit
 * (`bytes`, `text`, `json`) or streamed (`for await`), with the engine told to stop reading while
 * the reader is more than `bodyHighWaterMark` behind, and to start again once it has caught up.
 */
export abstract class RequestBody implements AsyncIterator<Buffer> {
  private bodyState: BodyState;
  private used = false;
  /** Made on the first piece queued: a request without a body, or read as it comes, allocates none. */
  private queue: Buffer[] | null = null;
  private queuedBytes = 0;
  private paused = false;
  private waiting: { resolve: (result: IteratorResult<Buffer>) => void; reject: (error: unknown) => void } | null = null;
  private failure: unknown = null;
  private trailerFields: readonly string[] = EMPTY_FIELDS;

  constructor(
    private readonly bodyOwner: BodyOwner,
    hasBody: boolean,
  ) {
    this.bodyState = hasBody ? BodyState.Open : BodyState.Ended;
  }

  /** Runs before the body is first read: an engine that sets the body up lazily does it here. */
  protected prepareBody(): void {}

  get trailers(): readonly string[] {
    return this.trailerFields;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  async bytes(options?: BodyReadOptions): Promise<Buffer> {
    const limit = options?.limit ?? this.bodyOwner.maxBodySize;
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
    this.prepareBody();
    if (this.bodyState === BodyState.Open) this.bodyOwner.bodyWanted(this);
    return this;
  }

  /** AsyncIterator: the next piece of the body. */
  next(): Promise<IteratorResult<Buffer>> {
    if (this.queue !== null && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      if (this.paused && this.queuedBytes <= this.bodyOwner.bodyHighWaterMark / 2) {
        this.paused = false;
        this.bodyOwner.bodyBackpressure(this, false);
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

  /** AsyncIterator: the reader stopped early (a `break` out of `for await`). */
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
    (this.queue ??= []).push(chunk);
    this.queuedBytes += chunk.length;
    if (!this.paused && this.queuedBytes > this.bodyOwner.bodyHighWaterMark) {
      this.paused = true;
      this.bodyOwner.bodyBackpressure(this, true);
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
    this.queue = null;
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
    this.queue = null;
    this.queuedBytes = 0;
    if (this.paused) {
      this.paused = false;
      this.bodyOwner.bodyBackpressure(this, false);
    }
    const waiting = this.waiting;
    if (waiting !== null) {
      this.waiting = null;
      waiting.resolve({ value: undefined, done: true });
    }
  }
}
