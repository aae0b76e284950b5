/**
 * permessage-deflate (RFC 7692) for the net engine: option checks, the server side of the
 * negotiation (RFC 7692 5, 7.1), and one connection's inflater and deflater (RFC 7692 7.2).
 *
 * Sync or async zlib (measured in benchmarks/results/2026-12-02-websocket-deflate.md): an async
 * zlib call is a threadpool round trip, several times the cost of the work itself for small
 * messages, so a message (or compressed fragment) under SYNC_BELOW_BYTES is inflated or deflated
 * synchronously on the connection's own persistent stream (context takeover kept), and larger
 * ones go to the threadpool through the process-wide ZlibLimiter so a big message doesn't stall
 * every other socket on this core. Both paths share one stream per direction; a per-direction
 * lane runs the jobs one at a time, so callbacks come in call order whatever the mix of sizes.
 */
import * as zlib from 'node:zlib';
import { PercoreError } from '../errors.js';
import { formatExtensions, parseExtensions, type ExtensionParam } from './extension-header.js';
import { sharedZlibLimiter, type ZlibLimiter } from './zlib-limiter.js';

export interface PerMessageDeflateOptions {
  /** Ask the client not to keep its context (client_no_context_takeover) — default false. */
  clientNoContextTakeover?: boolean;
  /** Don't keep ours between messages (server_no_context_takeover) — default false. */
  serverNoContextTakeover?: boolean;
  /** 8..15; default 15 (accept the client's offer, or ask for this if it offered the param without a value). */
  serverMaxWindowBits?: number;
  clientMaxWindowBits?: number;
  /** Messages smaller than this many bytes are sent uncompressed (default 1024). */
  threshold?: number;
  /** zlib level for our deflate (default 1: fast) and memLevel (default 8). */
  level?: number;
  memLevel?: number;
  /** Max concurrent zlib jobs in this process (default 10), queued FIFO beyond. */
  concurrency?: number;
}

/** What both sides agreed (RFC 7692 7.1). */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

export const EXTENSION_NAME = 'permessage-deflate';

/**
 * Inputs under this many bytes take the synchronous path (see the module comment). Measured pinned to one core
 * (benchmarks/results/2026-12-02-websocket-deflate.md): the async path costs ~50-60 µs more CPU per message at
 * every size: 5-100x the sync cost up to 1 KiB, ~1.8x (deflate) and ~4.5x (inflate) at 16 KiB, still 1.3x and
 * 2.8x at 64 KiB. A sync deflate under 64 KiB (level 1) holds the event loop for at most ~0.25 ms; at 256 KiB it
 * is ~1 ms while the async overhead falls to ~10%, so big messages go to the threadpool. Inflate is judged by the
 * compressed size, so a 64 KiB frame of JSON (~300 KiB inflated, ~0.35 ms) is still sync.
 */
export const SYNC_BELOW_BYTES = 64 * 1024;

/** RFC 7692 7.2.1, 7.2.2: the empty stored block that ends a sync flush; stripped when sending, put back when receiving. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

const DEFAULTS: Required<PerMessageDeflateOptions> = {
  clientNoContextTakeover: false,
  serverNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
  threshold: 1024,
  level: 1,
  memLevel: 8,
  concurrency: 10,
};

function invalidOption(name: string, expected: string, value: unknown): PercoreError {
  return new PercoreError('PERCORE_ERR_INVALID_OPTION', `perMessageDeflate.${name} must be ${expected}, got ${String(value)}`);
}

function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** Throws PERCORE_ERR_INVALID_OPTION for out-of-range values; returns the options with defaults filled. */
export function resolveDeflateOptions(options: PerMessageDeflateOptions | true): Required<PerMessageDeflateOptions> {
  if (options === true) return { ...DEFAULTS };
  if (typeof options !== 'object' || options === null) throw invalidOption('', 'true or an object', options);
  const merged = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof PerMessageDeflateOptions)[]) {
    if (options[key] !== undefined) (merged as Record<string, unknown>)[key] = options[key];
  }
  for (const name of ['clientNoContextTakeover', 'serverNoContextTakeover'] as const) {
    if (typeof merged[name] !== 'boolean') throw invalidOption(name, 'a boolean', merged[name]);
  }
  integerIn('serverMaxWindowBits', merged.serverMaxWindowBits, 8, 15);
  integerIn('clientMaxWindowBits', merged.clientMaxWindowBits, 8, 15);
  integerIn('threshold', merged.threshold, 0, Number.MAX_SAFE_INTEGER);
  integerIn('level', merged.level, -1, 9);
  integerIn('memLevel', merged.memLevel, 1, 9);
  integerIn('concurrency', merged.concurrency, 1, Number.MAX_SAFE_INTEGER);
  return merged;
}

/** RFC 7692 7.1.2: a window bits value is 1*DIGIT from 8 to 15, no leading zero ("8" / "9" / "1" %x30-35). */
function windowBits(value: string): number | null {
  return /^(?:[89]|1[0-5])$/.test(value) ? Number(value) : null;
}

/**
 * One offer's params (RFC 7692 7), or null when the server must decline it: an unknown param,
 * a param given twice, a value where none belongs, or a bad window size (RFC 7692 5.1, 7.1).
 */
function readOffer(params: readonly ExtensionParam[]): {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | null;
  clientMaxWindowBits: number | true | null;
} | null {
  const seen = new Set<string>();
  const offer = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: null as number | null,
    clientMaxWindowBits: null as number | true | null,
  };
  for (const { name, value } of params) {
    if (seen.has(name)) return null;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover': // RFC 7692 7.1.1.1: no value
        if (value !== true) return null;
        offer.serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover': // RFC 7692 7.1.1.2: no value
        if (value !== true) return null;
        offer.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        // RFC 7692 7.1.2.1: a value is required in an offer
        const bits = value === true ? null : windowBits(value);
        if (bits === null) return null;
        offer.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        // RFC 7692 7.1.2.2: the value is optional in an offer
        if (value === true) {
          offer.clientMaxWindowBits = true;
          break;
        }
        const bits = windowBits(value);
        if (bits === null) return null;
        offer.clientMaxWindowBits = bits;
        break;
      }
      default:
        return null;
    }
  }
  return offer;
}

/**
 * Picks the first acceptable permessage-deflate offer from the client's Sec-WebSocket-Extensions value (RFC 7692 5, 7.1):
 * returns the agreed params and the response header value, or null when nothing was offered or no offer is
 * acceptable (then the server simply does not use the extension). A malformed header throws ..._INVALID_EXTENSION.
 * An offer with an unknown or repeated parameter, or a bad value, is declined (not an error) — RFC 7692 5.1.
 *
 * server_max_window_bits=8 is accepted and answered as 8, but we deflate with a window of 9: zlib (since 1.2.9)
 * cannot make raw deflate streams with an 8-bit window and silently uses 9, as ws does through node:zlib. zlib's
 * inflate reads such streams with windowBits 8 (tested), so zlib-based peers interoperate.
 */
export function negotiateDeflate(
  offerHeader: string | undefined,
  options: Required<PerMessageDeflateOptions>,
): { params: DeflateParams; response: string } | null {
  if (offerHeader === undefined) return null;
  for (const extension of parseExtensions(offerHeader)) {
    if (extension.name !== EXTENSION_NAME) continue;
    const offer = readOffer(extension.params);
    if (!offer) continue;
    // RFC 7692 7.1.2.2: without client_max_window_bits in the offer we may not limit the client's window,
    // so an offer without it is unacceptable when we want a smaller one.
    if (offer.clientMaxWindowBits === null && options.clientMaxWindowBits < 15) continue;

    const params: DeflateParams = {
      // RFC 7692 7.1.1.1: a server that accepts must honour the client's server_no_context_takeover.
      serverNoContextTakeover: offer.serverNoContextTakeover || options.serverNoContextTakeover,
      // RFC 7692 7.1.1.2: the client's hint is taken up; the option asks for it even when not offered.
      clientNoContextTakeover: offer.clientNoContextTakeover || options.clientNoContextTakeover,
      serverMaxWindowBits: Math.min(offer.serverMaxWindowBits ?? 15, options.serverMaxWindowBits),
      clientMaxWindowBits:
        typeof offer.clientMaxWindowBits === 'number'
          ? Math.min(offer.clientMaxWindowBits, options.clientMaxWindowBits)
          : options.clientMaxWindowBits,
    };
    const response: ExtensionParam[] = [];
    if (params.serverNoContextTakeover) response.push({ name: 'server_no_context_takeover', value: true });
    if (params.clientNoContextTakeover) response.push({ name: 'client_no_context_takeover', value: true });
    // RFC 7692 7.1.2.1: answer an offered server_max_window_bits with the same or a smaller value.
    if (offer.serverMaxWindowBits !== null || params.serverMaxWindowBits < 15) {
      response.push({ name: 'server_max_window_bits', value: String(params.serverMaxWindowBits) });
    }
    // RFC 7692 7.1.2.2: only when offered; the answer must not exceed an offered value.
    if (offer.clientMaxWindowBits !== null && (typeof offer.clientMaxWindowBits === 'number' || params.clientMaxWindowBits < 15)) {
      response.push({ name: 'client_max_window_bits', value: String(params.clientMaxWindowBits) });
    }
    return { params, response: formatExtensions([{ name: EXTENSION_NAME, params: response }]) };
  }
  return null;
}

/** The close code a deflate error carries (1007 or 1009). */
export function closeCodeOf(error: PercoreError): number {
  return error.code === 'PERCORE_ERR_WEBSOCKET_MESSAGE_TOO_BIG' ? 1009 : 1007;
}

// ---------------------------------------------------------------------------------------------
// Driving a zlib stream synchronously. node's zlib.*Sync functions make and close a fresh stream
// each call (zlibBufferSync → processChunkSync, which ends in _close), which loses the context
// and pays deflateInit's ~256 KiB allocation every message. Instead we call the stream's own
// handle the way processChunkSync does: handle.writeSync(flush, in, inOff, inLen, out, outOff,
// outLen), then read [availOut, availIn] from stream._writeState. These are node internals,
// stable from node 12 to 24; if they are missing every job takes the async path.

interface ZlibHandle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
}
interface ZlibInternals {
  _handle?: ZlibHandle | null;
  _writeState?: Uint32Array;
}

type ZlibStream = zlib.InflateRaw | zlib.DeflateRaw;

/** @internal (exported for deflate-cost.ts) Whether this node exposes what writeSyncBounded needs. */
export function canDriveSync(stream: ZlibStream): boolean {
  const internals = stream as unknown as ZlibInternals;
  return typeof internals._handle?.writeSync === 'function' && internals._writeState instanceof Uint32Array;
}

const SCRATCH_BYTES = 16 * 1024;
let scratch: Buffer | undefined;

/** What a sync write gave: its output appended to `out`, or why it stopped. */
export type SyncResult = { kind: 'ok'; produced: number; ended: boolean } | { kind: 'too-big' } | { kind: 'error'; error: Error };

/**
 * Feeds `input` with Z_SYNC_FLUSH and collects all output into `out` (copies of a shared scratch buffer).
 * Stops at once, mid-input, when the output would pass `limit` bytes: a bomb costs at most limit + 16 KiB.
 * `ended`: zlib stopped taking input (the peer sent a final block, RFC 7692 7.2.3.4).
 */
export function writeSyncBounded(stream: ZlibStream, input: Buffer, limit: number, out: Buffer[]): SyncResult {
  const internals = stream as unknown as ZlibInternals;
  const handle = internals._handle!;
  const state = internals._writeState!;
  const buffer = (scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES));
  let inOff = 0;
  let inLen = input.length;
  let produced = 0;
  for (;;) {
    handle.writeSync(zlib.constants.Z_SYNC_FLUSH, input, inOff, inLen, buffer, 0, SCRATCH_BYTES);
    // zlib errors arrive synchronously through handle.onerror, which destroys the stream.
    if (stream.destroyed)
      return {
        kind: 'error',
        error: stream.errored ?? new PercoreError('PERCORE_ERR_WEBSOCKET_INVALID_DEFLATE', 'the zlib stream was destroyed'),
      };
    const availOut = state[0]!;
    const availIn = state[1]!;
    const have = SCRATCH_BYTES - availOut;
    if (have > 0) {
      produced += have;
      if (produced > limit) return { kind: 'too-big' };
      out.push(Buffer.from(buffer.subarray(0, have)));
    }
    const consumed = inLen - availIn;
    inOff += consumed;
    inLen = availIn;
    // Room left in the output: zlib has flushed everything it can from this input.
    if (availOut !== 0) return { kind: 'ok', produced, ended: inLen > 0 };
  }
}

function concat(chunks: Buffer[], length: number): Buffer {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks, length);
}

/** Runs steps one at a time, in the order pushed; a step calls `finish` (sync or later) when done. */
class SerialLane {
  private steps: ((finish: () => void) => void)[] = [];
  private running = false;
  private pumping = false;
  private readonly finish = (): void => {
    this.running = false;
    this.pump();
  };

  push(step: (finish: () => void) => void): void {
    this.steps.push(step);
    this.pump();
  }

  clear(): void {
    this.steps = [];
  }

  private pump(): void {
    if (this.pumping) return; // a step that finished synchronously: the loop below goes on
    this.pumping = true;
    while (!this.running && this.steps.length > 0) {
      this.running = true;
      try {
        this.steps.shift()!(this.finish);
      } catch (error) {
        // A callback threw inside a synchronous step: free the lane, let the error reach the caller.
        this.running = false;
        this.pumping = false;
        throw error;
      }
    }
    this.pumping = false;
  }
}

/** Calls back first, then moves the lane on (even if the callback throws): the next job's callback must come after. */
function settleThen(next: () => void, deliver: () => void): void {
  try {
    deliver();
  } finally {
    next();
  }
}

type Callback = (error: PercoreError | null, result?: Buffer) => void;

/** One connection's inflater and deflater (made lazily: most sockets never compress). */
export class PerMessageDeflate {
  private inflater: zlib.InflateRaw | null = null;
  private deflater: zlib.DeflateRaw | null = null;
  private readonly inflateLane = new SerialLane();
  private readonly deflateLane = new SerialLane();
  /** The message being inflated, across its fragments. */
  private inflated: Buffer[] = [];
  private inflatedLength = 0;
  /** Set once an inflate fails: the message stream is lost, later calls fail the same way. */
  private inflateFailure: PercoreError | null = null;
  private closed = false;
  /** Limiter slots held by async jobs in flight; given back on close, when their callbacks may never come. */
  private readonly slots = new Set<() => void>();
  private readonly limiter: ZlibLimiter;
  private readonly maxPayload: number;

  /** `maxPayloadLength`: the most bytes one inflated message may have; 0 or less for no limit. */
  constructor(
    readonly params: DeflateParams,
    private readonly options: Required<PerMessageDeflateOptions>,
    maxPayloadLength: number,
  ) {
    this.maxPayload = maxPayloadLength > 0 ? maxPayloadLength : Infinity;
    this.limiter = sharedZlibLimiter(options.concurrency);
  }

  /** Whether a message of this size should be compressed (>= threshold). */
  shouldCompress(byteLength: number): boolean {
    return byteLength >= this.options.threshold;
  }

  /**
   * Inflates one frame of a compressed message. Every call calls back once, in call order: `message` is the
   * whole inflated message on `fin`, undefined before. The callback may run synchronously, inside this call
   * (small fragments with nothing queued ahead). Past maxPayloadLength it stops at once with
   * ..._MESSAGE_TOO_BIG (1009); corrupt data gives ..._INVALID_DEFLATE (1007).
   */
  decompress(fragment: Buffer, fin: boolean, callback: (error: PercoreError | null, message?: Buffer) => void): void {
    if (this.closed) return;
    this.inflateLane.push((finish) => {
      if (this.closed) return finish();
      if (this.inflateFailure) return settleThen(finish, () => callback(this.inflateFailure));
      const inflater = (this.inflater ??= this.createInflater());
      if (fragment.length < SYNC_BELOW_BYTES && canDriveSync(inflater)) {
        const outcome = this.inflateSync(inflater, fragment, fin);
        return settleThen(finish, () => this.afterInflate(outcome, fin, callback));
      }
      this.runAsync(finish, (done) =>
        this.inflateAsync(inflater, fragment, fin, (outcome) => settleThen(done, () => this.afterInflate(outcome, fin, callback))),
      );
    });
  }

  /**
   * Deflates one whole message (RFC 7692 7.2.1: the 00 00 FF FF tail removed). Callbacks in call order; the
   * callback may run synchronously, inside this call, for messages under SYNC_BELOW_BYTES.
   */
  compress(message: Buffer, callback: (error: PercoreError | null, compressed?: Buffer) => void): void {
    if (this.closed) return;
    this.deflateLane.push((finish) => {
      if (this.closed) return finish();
      const deflater = (this.deflater ??= this.createDeflater());
      if (message.length < SYNC_BELOW_BYTES && canDriveSync(deflater)) {
        const out: Buffer[] = [];
        const result = writeSyncBounded(deflater, message, Infinity, out);
        const outcome =
          result.kind === 'ok'
            ? concat(out, result.produced)
            : result.kind === 'error'
              ? result.error
              : new PercoreError('PERCORE_ERR_WEBSOCKET_INVALID_DEFLATE', 'deflate gave no output');
        return settleThen(finish, () => this.afterDeflate(outcome, callback));
      }
      this.runAsync(finish, (done) =>
        this.deflateAsync(deflater, message, (outcome) => settleThen(done, () => this.afterDeflate(outcome, callback))),
      );
    });
  }

  /** Frees the zlib streams; pending callbacks are never called after this. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflateLane.clear();
    this.deflateLane.clear();
    for (const release of [...this.slots]) release();
    this.slots.clear();
    this.inflater?.close();
    this.deflater?.close();
    this.inflater = null;
    this.deflater = null;
    this.inflated = [];
  }

  private createInflater(): zlib.InflateRaw {
    // A peer's "8" is a 9-bit window in fact (zlib >= 1.2.9 cannot deflate raw with 8): inflate with 9.
    const inflater = zlib.createInflateRaw({ windowBits: Math.max(9, this.params.clientMaxWindowBits) });
    inflater.on('error', () => {}); // reported through the job that hit it
    return inflater;
  }

  private createDeflater(): zlib.DeflateRaw {
    const deflater = zlib.createDeflateRaw({
      level: this.options.level,
      memLevel: this.options.memLevel,
      windowBits: Math.max(9, this.params.serverMaxWindowBits), // see negotiateDeflate about 8
    });
    deflater.on('error', () => {});
    return deflater;
  }

  /** Takes a slot of the process limiter for one async job; `finish` moves the lane on. */
  private runAsync(finish: () => void, job: (done: () => void) => void): void {
    this.limiter.add((release) => {
      if (this.closed) {
        release();
        return finish();
      }
      this.slots.add(release);
      job(() => {
        this.slots.delete(release);
        release();
        finish();
      });
    });
  }

  private inflateSync(inflater: zlib.InflateRaw, fragment: Buffer, fin: boolean): InflateOutcome {
    let ended = false;
    for (const input of fin ? [fragment, TAIL] : [fragment]) {
      if (ended) break;
      const result = writeSyncBounded(inflater, input, this.maxPayload - this.inflatedLength, this.inflated);
      if (result.kind === 'too-big') return tooBig(this.maxPayload);
      if (result.kind === 'error') return invalidDeflate(result.error);
      this.inflatedLength += result.produced;
      ended = result.ended;
    }
    return ended ? 'ended' : 'ok';
  }

  private inflateAsync(inflater: zlib.InflateRaw, fragment: Buffer, fin: boolean, settle: (outcome: InflateOutcome) => void): void {
    let settled = false;
    const finishWith = (outcome: InflateOutcome): void => {
      if (settled) return;
      settled = true;
      inflater.removeListener('data', onData);
      inflater.removeListener('error', onError);
      settle(outcome);
    };
    const onData = (chunk: Buffer): void => {
      if (this.inflatedLength + chunk.length > this.maxPayload) {
        // Stop the inflate now: at most one more chunk (16 KiB) was made past the limit.
        finishWith(tooBig(this.maxPayload));
        return;
      }
      this.inflated.push(chunk);
      this.inflatedLength += chunk.length;
    };
    const onError = (error: Error): void => finishWith(invalidDeflate(error));
    inflater.on('data', onData);
    inflater.on('error', onError);
    inflater.write(fragment);
    if (fin) inflater.write(TAIL);
    inflater.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      if (inflater.destroyed) return; // onError settles it
      // zlib stopped taking input (a final block): node pushes the readable end at once, 'end' comes later.
      const readable = (inflater as unknown as { _readableState?: { ended?: boolean } })._readableState;
      finishWith(readable?.ended === true ? 'ended' : 'ok');
    });
  }

  private afterInflate(outcome: InflateOutcome, fin: boolean, callback: Callback): void {
    if (this.closed) return;
    if (outcome instanceof PercoreError) {
      this.inflateFailure = outcome;
      this.inflated = [];
      this.inflatedLength = 0;
      this.inflater?.close();
      this.inflater = null;
      callback(outcome);
      return;
    }
    if (outcome === 'ended') {
      // RFC 7692 7.2.3.4: the peer ended its deflate stream with a final block; the next message starts a new one.
      this.inflater?.close();
      this.inflater = null;
    }
    if (!fin) {
      callback(null);
      return;
    }
    const message = concat(this.inflated, this.inflatedLength);
    this.inflated = [];
    this.inflatedLength = 0;
    // RFC 7692 7.1.1.2: the client starts each message with an empty window.
    if (this.params.clientNoContextTakeover && this.inflater) this.inflater.reset();
    callback(null, message);
  }

  private deflateAsync(deflater: zlib.DeflateRaw, message: Buffer, settle: (outcome: Buffer | Error) => void): void {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const finishWith = (outcome: Buffer | Error): void => {
      if (settled) return;
      settled = true;
      deflater.removeListener('data', onData);
      deflater.removeListener('error', onError);
      settle(outcome);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
    };
    const onError = (error: Error): void => finishWith(error);
    deflater.on('data', onData);
    deflater.on('error', onError);
    deflater.write(message);
    deflater.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      if (!deflater.destroyed) finishWith(concat(chunks, length));
    });
  }

  private afterDeflate(outcome: Buffer | Error, callback: Callback): void {
    if (this.closed) return;
    if (outcome instanceof Error) {
      this.deflater?.close();
      this.deflater = null;
      callback(new PercoreError('PERCORE_ERR_WEBSOCKET_INVALID_DEFLATE', `deflate failed: ${outcome.message}`, { cause: outcome }));
      return;
    }
    // RFC 7692 7.2.1: a sync flush ends in 00 00 FF FF; the sender removes it.
    const compressed = outcome.subarray(0, outcome.length - TAIL.length);
    // RFC 7692 7.1.1.1: with server_no_context_takeover each message starts with an empty window.
    if (this.params.serverNoContextTakeover) this.deflater?.reset();
    callback(null, compressed);
  }
}

type InflateOutcome = 'ok' | 'ended' | PercoreError;

function tooBig(limit: number): PercoreError {
  return new PercoreError('PERCORE_ERR_WEBSOCKET_MESSAGE_TOO_BIG', `the inflated message passed ${limit} bytes`);
}

function invalidDeflate(error: Error): PercoreError {
  return new PercoreError('PERCORE_ERR_WEBSOCKET_INVALID_DEFLATE', error.message, { cause: error });
}
