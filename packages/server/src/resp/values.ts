/**
 * The JavaScript values a RESP reply decodes to (RESP2, and RESP3 as in
 * redis-specifications/protocol/RESP3.md). docs/resp.md has the table of types.
 */
import { PercoreError } from '../errors.js';

/**
 * A Redis error reply ('-' simple error, or RESP3 '!' blob error): the server answered, the
 * connection is fine. `prefix` is its first word (ERR, WRONGTYPE, NOAUTH, MOVED...), `reply` the
 * whole error text as sent (without the '-'), and `message` that same text.
 */
export class RespReplyError extends PercoreError {
  readonly prefix: string;
  readonly reply: string;

  constructor(reply: string) {
    super('PERCORE_ERR_RESP_REPLY');
    this.name = 'RespReplyError';
    this.message = reply;
    this.reply = reply;
    const space = reply.indexOf(' ');
    this.prefix = space === -1 ? reply : reply.slice(0, space);
  }
}

/**
 * A RESP3 push frame ('>'): pub/sub messages, client-side caching invalidations. `kind` is its
 * first element as a string ("message", "pmessage", "subscribe", "invalidate"...), and `data`
 * holds the elements after it.
 */
export class RespPush {
  constructor(
    readonly kind: string,
    readonly data: RespValue[],
  ) {}
}

export type RespValue =
  /** Simple strings, bulk strings, verbatim strings (without their "txt:" prefix); Buffer when bulkAs is 'buffer'. */
  | string
  | Buffer
  /** Integers within Number.MAX_SAFE_INTEGER, and doubles (Infinity, -Infinity, NaN). */
  | number
  /** Big numbers '(', and integers ':' beyond the safe range. */
  | bigint
  | boolean
  /** RESP3 '_', RESP2 '$-1' and '*-1'. */
  | null
  /** Inside an aggregate (EXEC's results, RESP3 maps); a top-level error reply is handed over as this too. */
  | RespReplyError
  /** Arrays, and sets (as arrays). */
  | RespValue[]
  | Map<RespValue, RespValue>
  | RespPush;
