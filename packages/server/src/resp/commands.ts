import { PercoreError } from '../errors.js';
import type { RespArgument } from './encoder.js';
import type { RespValue } from './values.js';

/** The hot-path callback: an error (a RespReplyError, or a PercoreError of the client), or the reply. */
export type ReplyCallback = (error: Error | null, reply?: RespValue) => void;

/** How the reply FIFO counts a command's replies. */
export const KIND_REGULAR = 0;
/** (P)SUBSCRIBE: one confirmation per channel or pattern; the command settles on the last. */
export const KIND_SUBSCRIBE = 1;
/** (P)UNSUBSCRIBE with explicit names: one confirmation per name. */
export const KIND_UNSUBSCRIBE = 2;
export type CommandKind = typeof KIND_REGULAR | typeof KIND_SUBSCRIBE | typeof KIND_UNSUBSCRIBE;

/** One command from the call until its reply: in the client's queue, then in a connection's in-flight FIFO. */
export class PendingCommand {
  /** Replies still expected (confirmations, for the subscription commands). */
  confirmations: number;
  /** When its reply is overdue (performance.now() ms), once written; 0 without a timeout. */
  deadline = 0;

  constructor(
    readonly args: readonly RespArgument[],
    readonly callback: ReplyCallback,
    readonly kind: CommandKind = KIND_REGULAR,
    /** Counted in maxPending and stats: a caller's command, not the client's own (AUTH, SELECT, HELLO). */
    readonly counted = true,
  ) {
    this.confirmations = kind === KIND_REGULAR ? 1 : args.length - 1;
  }

  get name(): string {
    const first = this.args[0];
    return typeof first === 'string' ? first.toUpperCase() : String(first);
  }
}

/**
 * Why a command cannot go through `command`/`send`, or null. (P)SUBSCRIBE and (P)UNSUBSCRIBE
 * change how replies are counted, so they go through `subscribe`/`unsubscribe`; MONITOR turns the
 * connection into a stream that no FIFO can follow. Only names of those lengths are compared.
 */
export function refusedCommand(name: RespArgument): string | null {
  if (typeof name !== 'string' || name.length < 7 || name.length > 12) return null;
  switch (name.toLowerCase()) {
    case 'subscribe':
    case 'psubscribe':
    case 'ssubscribe':
    case 'unsubscribe':
    case 'punsubscribe':
    case 'sunsubscribe':
      return `${name} goes through subscribe()/unsubscribe() (or psubscribe()/punsubscribe()), which keep the reply count`;
    case 'monitor':
      return 'MONITOR is a stream of events, not a reply: use a raw connection';
    default:
      return null;
  }
}

/**
 * Under RESP2 a connection with subscriptions takes only these (the server answers anything else
 * with an error; the client refuses it first, with PERCORE_ERR_RESP_SUBSCRIBER_MODE).
 */
export function allowedInSubscriberMode(name: RespArgument): boolean {
  if (typeof name !== 'string' || name.length > 12) return false;
  switch (name.toLowerCase()) {
    case 'ping':
    case 'quit':
    case 'reset':
      return true;
    default:
      return false;
  }
}

/** Checks the argument types at the call, so that a bad one fails that command and not the batch it would join. */
export function badArgument(args: readonly RespArgument[]): PercoreError | null {
  if (args.length === 0) return new PercoreError('PERCORE_ERR_INVALID_OPTION', 'a command needs at least its name');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as unknown;
    const type = typeof arg;
    if (type === 'string' || type === 'number' || type === 'bigint' || Buffer.isBuffer(arg)) continue;
    return new PercoreError(
      'PERCORE_ERR_INVALID_OPTION',
      `argument ${i} is ${arg === null ? 'null' : type}: a command takes strings, Buffers, numbers and bigints`,
    );
  }
  return null;
}

/** SET's options (redis.io/commands/set). */
export interface SetOptions {
  /** Expire after this many seconds. */
  EX?: number;
  /** Expire after this many milliseconds. */
  PX?: number;
  /** Only set if the key does not exist (the reply is then null when it did). */
  NX?: boolean;
  /** Only set if the key exists (the reply is then null when it did not). */
  XX?: boolean;
}

export function setArguments(key: RespArgument, value: RespArgument, options?: SetOptions): RespArgument[] {
  const args: RespArgument[] = ['SET', key, value];
  if (options === undefined) return args;
  if (options.EX !== undefined && options.PX !== undefined)
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'SET takes EX or PX, not both');
  if (options.NX && options.XX) throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'SET takes NX or XX, not both');
  if (options.EX !== undefined) args.push('EX', options.EX);
  if (options.PX !== undefined) args.push('PX', options.PX);
  if (options.NX) args.push('NX');
  if (options.XX) args.push('XX');
  return args;
}
