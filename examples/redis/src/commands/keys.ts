/**
 * The keyspace commands (Redis's db.c and expire.c): DEL, EXISTS, TYPE, DBSIZE, FLUSHDB,
 * FLUSHALL, and deadlines: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT [NX|XX|GT|LT], TTL, PTTL, PERSIST.
 */
import { isOption, keyOf, type Command, type CommandContext } from './command.js';
import { expireDeadline, TimeUnit } from './expire-time.js';

function del(ctx: CommandContext, args: Buffer[]): void {
  let deleted = 0;
  for (let i = 1; i < args.length; i++) if (ctx.keyspace.delete(keyOf(args[i]!))) deleted++;
  ctx.reply.integer(deleted);
}

function exists(ctx: CommandContext, args: Buffer[]): void {
  // A key named twice counts twice, as in Redis.
  let found = 0;
  for (let i = 1; i < args.length; i++) if (ctx.keyspace.lookup(keyOf(args[i]!)) !== undefined) found++;
  ctx.reply.integer(found);
}

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

function expireCommand(name: string, unit: TimeUnit, relative: boolean): Command {
  return {
    name,
    arity: -3,
    run: (ctx, args) => {
      const now = Date.now();
      const deadline = expireDeadline(args[2]!, unit, relative, now, name);
      if ('error' in deadline) return ctx.reply.error(deadline.error);
      let flags = 0;
      for (let j = 3; j < args.length; j++) {
        const opt = args[j]!;
        if (isOption(opt, 'NX')) flags |= EXPIRE_NX;
        else if (isOption(opt, 'XX')) flags |= EXPIRE_XX;
        else if (isOption(opt, 'GT')) flags |= EXPIRE_GT;
        else if (isOption(opt, 'LT')) flags |= EXPIRE_LT;
        else return ctx.reply.error(`ERR Unsupported option ${opt.toString('latin1')}`);
      }
      if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
        return ctx.reply.error('ERR NX and XX, GT or LT options at the same time are not compatible');
      }
      if (flags & EXPIRE_GT && flags & EXPIRE_LT) return ctx.reply.error('ERR GT and LT options at the same time are not compatible');
      const entry = ctx.keyspace.lookup(keyOf(args[1]!));
      if (entry === undefined) return ctx.reply.integer(0);
      const current = entry.expiresAt === 0 ? -1 : entry.expiresAt;
      // A key without a deadline counts as an infinite one for GT and LT.
      if (
        (flags & EXPIRE_NX && current !== -1) ||
        (flags & EXPIRE_XX && current === -1) ||
        (flags & EXPIRE_GT && (current === -1 || deadline.at <= current)) ||
        (flags & EXPIRE_LT && current !== -1 && deadline.at >= current)
      ) {
        return ctx.reply.integer(0);
      }
      ctx.keyspace.setDeadline(entry, deadline.at);
      ctx.reply.integer(1);
    },
  };
}

/** TTL and PTTL: -2 for a missing key, -1 for one without a deadline. */
function ttlCommand(name: string, unit: TimeUnit): Command {
  return {
    name,
    arity: 2,
    run: (ctx, args) => {
      const entry = ctx.keyspace.lookup(keyOf(args[1]!));
      if (entry === undefined) return ctx.reply.integer(-2);
      if (entry.expiresAt === 0) return ctx.reply.integer(-1);
      const left = Math.max(0, entry.expiresAt - Date.now());
      // TTL rounds to the nearest second, as Redis does: (ttl + 500) / 1000.
      ctx.reply.integer(unit === TimeUnit.Seconds ? Math.floor((left + 500) / 1000) : left);
    },
  };
}

function persist(ctx: CommandContext, args: Buffer[]): void {
  const entry = ctx.keyspace.lookup(keyOf(args[1]!));
  if (entry === undefined || entry.expiresAt === 0) return ctx.reply.integer(0);
  ctx.keyspace.setDeadline(entry, 0);
  ctx.reply.integer(1);
}

function flush(ctx: CommandContext, args: Buffer[]): void {
  if (args.length > 2 || (args.length === 2 && !isOption(args[1]!, 'SYNC') && !isOption(args[1]!, 'ASYNC'))) {
    return ctx.reply.error('ERR syntax error');
  }
  ctx.keyspace.flush();
  ctx.reply.simple('OK');
}

export const keyCommands: Command[] = [
  { name: 'del', arity: -2, run: del },
  { name: 'exists', arity: -2, run: exists },
  {
    name: 'type',
    arity: 2,
    run: (ctx, args) => ctx.reply.simple(ctx.keyspace.lookup(keyOf(args[1]!))?.kind ?? 'none'),
  },
  { name: 'dbsize', arity: 1, run: (ctx) => ctx.reply.integer(ctx.keyspace.size) },
  { name: 'flushdb', arity: -1, run: flush },
  { name: 'flushall', arity: -1, run: flush },
  expireCommand('expire', TimeUnit.Seconds, true),
  expireCommand('pexpire', TimeUnit.Milliseconds, true),
  expireCommand('expireat', TimeUnit.Seconds, false),
  expireCommand('pexpireat', TimeUnit.Milliseconds, false),
  ttlCommand('ttl', TimeUnit.Seconds),
  ttlCommand('pttl', TimeUnit.Milliseconds),
  { name: 'persist', arity: 2, run: persist },
];
