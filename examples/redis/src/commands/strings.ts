/** The string commands (Redis's t_string.c): GET, SET, MGET, MSET, INCR, DECR, INCRBY, DECRBY, STRLEN, APPEND. */
import { addInt64, parseInt64 } from '../store/integers.js';
import type { Entry } from '../store/keyspace.js';
import { Errors, isOption, keyOf, type Command, type CommandContext } from './command.js';
import { setExpireDeadline, TimeUnit } from './expire-time.js';

/** The hook for other value kinds: a command on strings refuses any other with WRONGTYPE. */
function isString(ctx: CommandContext, entry: Entry): boolean {
  if (entry.kind === 'string') return true;
  ctx.reply.error(Errors.wrongType);
  return false;
}

const SET_NX = 1;
const SET_XX = 2;
const SET_GET = 4;
const SET_KEEPTTL = 8;
const SET_EX = 16;
const SET_PX = 32;
const SET_EXAT = 64;
const SET_PXAT = 128;
const SET_ANY_EXPIRE = SET_EX | SET_PX | SET_EXAT | SET_PXAT;

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]: options parsed as parseExtendedStringArgumentsOrReply does. */
function set(ctx: CommandContext, args: Buffer[]): void {
  let flags = 0;
  let expireArg: Buffer | null = null;
  for (let j = 3; j < args.length; j++) {
    const opt = args[j]!;
    const hasNext = j + 1 < args.length;
    if (isOption(opt, 'NX') && !(flags & SET_XX)) flags |= SET_NX;
    else if (isOption(opt, 'XX') && !(flags & SET_NX)) flags |= SET_XX;
    else if (isOption(opt, 'GET')) flags |= SET_GET;
    else if (isOption(opt, 'KEEPTTL') && !(flags & SET_ANY_EXPIRE)) flags |= SET_KEEPTTL;
    else if (hasNext && expireFlag(opt) !== 0 && !(flags & (SET_KEEPTTL | (SET_ANY_EXPIRE & ~expireFlag(opt))))) {
      // The same expire option twice is allowed (the last wins); two different ones are not.
      flags |= expireFlag(opt);
      expireArg = args[++j]!;
    } else return ctx.reply.error(Errors.syntax);
  }
  let deadline = 0;
  if (expireArg !== null) {
    const unit = flags & (SET_EX | SET_EXAT) ? TimeUnit.Seconds : TimeUnit.Milliseconds;
    const result = setExpireDeadline(expireArg, unit, (flags & (SET_EX | SET_PX)) !== 0, Date.now());
    if ('error' in result) return ctx.reply.error(result.error);
    deadline = result.at;
  }
  const key = keyOf(args[1]!);
  const existing = ctx.keyspace.lookup(key);
  if (flags & SET_GET) {
    if (existing !== undefined && !isString(ctx, existing)) return;
    ctx.reply.bulk(existing === undefined ? null : existing.value);
  }
  if ((flags & SET_NX && existing !== undefined) || (flags & SET_XX && existing === undefined)) {
    if (!(flags & SET_GET)) ctx.reply.nullBulk();
    return;
  }
  // Copied: the argument is a view of the connection's input.
  const entry = ctx.keyspace.set(key, Buffer.from(args[2]!), (flags & SET_KEEPTTL) !== 0);
  if (deadline !== 0) ctx.keyspace.setDeadline(entry, deadline);
  if (!(flags & SET_GET)) ctx.reply.simple('OK');
}

function expireFlag(opt: Buffer): number {
  if (isOption(opt, 'EX')) return SET_EX;
  if (isOption(opt, 'PX')) return SET_PX;
  if (isOption(opt, 'EXAT')) return SET_EXAT;
  if (isOption(opt, 'PXAT')) return SET_PXAT;
  return 0;
}

function get(ctx: CommandContext, args: Buffer[]): void {
  const entry = ctx.keyspace.read(keyOf(args[1]!));
  if (entry === undefined) return ctx.reply.nullBulk();
  if (isString(ctx, entry)) ctx.reply.bulk(entry.value);
}

function mget(ctx: CommandContext, args: Buffer[]): void {
  ctx.reply.arrayHeader(args.length - 1);
  for (let i = 1; i < args.length; i++) {
    const entry = ctx.keyspace.read(keyOf(args[i]!));
    // MGET answers nil for a key of another kind, never WRONGTYPE.
    ctx.reply.bulk(entry === undefined || entry.kind !== 'string' ? null : entry.value);
  }
}

function mset(ctx: CommandContext, args: Buffer[]): void {
  if (args.length % 2 === 0) return ctx.reply.error(Errors.arity('mset'));
  for (let i = 1; i < args.length; i += 2) ctx.keyspace.set(keyOf(args[i]!), Buffer.from(args[i + 1]!));
  ctx.reply.simple('OK');
}

/** INCR and friends: the stored value and the result are int64; the key keeps its TTL. */
function incrementBy(ctx: CommandContext, keyArg: Buffer, delta: number | bigint): void {
  const key = keyOf(keyArg);
  const entry = ctx.keyspace.lookup(key);
  let current: number | bigint = 0;
  if (entry !== undefined) {
    if (!isString(ctx, entry)) return;
    const parsed = parseInt64(entry.value);
    if (parsed === null) return ctx.reply.error(Errors.notInteger);
    current = parsed;
  }
  const next = addInt64(current, delta);
  if (next === null) return ctx.reply.error(Errors.overflow);
  const bytes = Buffer.from(String(next), 'latin1');
  if (entry !== undefined) entry.value = bytes;
  else ctx.keyspace.set(key, bytes);
  ctx.reply.integer(next);
}

function incrementArg(ctx: CommandContext, arg: Buffer): number | bigint | null {
  const delta = parseInt64(arg);
  if (delta === null) ctx.reply.error(Errors.notInteger);
  return delta;
}

function strlen(ctx: CommandContext, args: Buffer[]): void {
  const entry = ctx.keyspace.read(keyOf(args[1]!));
  if (entry === undefined) return ctx.reply.integer(0);
  if (isString(ctx, entry)) ctx.reply.integer(entry.value.length);
}

function append(ctx: CommandContext, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const entry = ctx.keyspace.lookup(key);
  if (entry === undefined) {
    ctx.keyspace.set(key, Buffer.from(args[2]!));
    return ctx.reply.integer(args[2]!.length);
  }
  if (!isString(ctx, entry)) return;
  entry.value = Buffer.concat([entry.value, args[2]!]);
  ctx.reply.integer(entry.value.length);
}

export const stringCommands: Command[] = [
  { name: 'get', arity: 2, run: get },
  { name: 'set', arity: -3, run: set },
  { name: 'mget', arity: -2, run: mget },
  { name: 'mset', arity: -3, run: mset },
  { name: 'incr', arity: 2, run: (ctx, args) => incrementBy(ctx, args[1]!, 1) },
  { name: 'decr', arity: 2, run: (ctx, args) => incrementBy(ctx, args[1]!, -1) },
  {
    name: 'incrby',
    arity: 3,
    run: (ctx, args) => {
      const delta = incrementArg(ctx, args[2]!);
      if (delta !== null) incrementBy(ctx, args[1]!, delta);
    },
  },
  {
    name: 'decrby',
    arity: 3,
    run: (ctx, args) => {
      const delta = incrementArg(ctx, args[2]!);
      if (delta === null) return;
      // -INT64_MIN is not an int64.
      if (delta === -(2n ** 63n)) return ctx.reply.error(Errors.decrementOverflow);
      incrementBy(ctx, args[1]!, typeof delta === 'number' ? -delta : -delta);
    },
  },
  { name: 'strlen', arity: 2, run: strlen },
  { name: 'append', arity: 3, run: append },
];
