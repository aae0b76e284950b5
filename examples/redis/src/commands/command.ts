/**
 * What a command is made of (Redis's redisCommand): a name, an arity, flags, and a function run
 * with the connection's context. Replies go through `ctx.reply`; a command never writes to the
 * socket itself.
 */
import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { Keyspace } from '../store/keyspace.js';
import type { PubSubHub, Subscriber } from '../pubsub-hub.js';
import type { ServerInfo } from '../server-info.js';

export interface CommandContext {
  readonly reply: ReplyWriter;
  readonly keyspace: Keyspace;
  readonly pubsub: PubSubHub;
  readonly server: ServerInfo;
  readonly client: ClientState;
}

/** The connection's own state that commands read and change. */
export interface ClientState extends Subscriber {
  readonly clientId: number;
  name: string | null;
  /** Channels and patterns subscribed (RESP2: the client is in pub/sub mode while > 0). */
  readonly subscriptionCount: number;
  /** Reply, then close once the reply is flushed (QUIT). */
  closeAfterReply(): void;
}

export interface Command {
  /** Lower case, as Redis names it in errors (`'get'`, `'config|get'`). */
  readonly name: string;
  /** Redis's arity: N exactly N arguments (the name included); -N at least N. */
  readonly arity: number;
  /** Allowed while subscribed (RESP2 pub/sub mode). */
  readonly pubsubContext?: boolean;
  readonly run: (ctx: CommandContext, args: Buffer[]) => void;
  /** A container's subcommands by lower-case name (CONFIG GET is 'config|get'); `run` is then unused. */
  readonly subcommands?: ReadonlyMap<string, Command>;
}

/** A container command (CONFIG, CLIENT, COMMAND) over its subcommands, each named 'container|sub'. */
export function container(name: string, subcommands: Command[]): Command {
  return {
    name,
    arity: -2,
    run: () => {},
    subcommands: new Map(subcommands.map((sub) => [sub.name.slice(name.length + 1), sub])),
  };
}

/** Redis's error replies, word for word (server.c shared objects and the commands' own). */
export const Errors = {
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  overflow: 'ERR increment or decrement would overflow',
  decrementOverflow: 'ERR decrement would overflow',
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  dbIndexRange: 'ERR DB index is out of range',
  arity: (name: string) => `ERR wrong number of arguments for '${name}' command`,
  invalidExpire: (name: string) => `ERR invalid expire time in '${name}' command`,
  unknownSubcommand: (sub: string, container: string) => `ERR unknown subcommand '${sanitize(sub)}'. Try ${container} HELP.`,
  pubsubContext: (name: string) =>
    `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
} as const;

/** Redis's unknown-command reply: the name, then the first arguments quoted, up to about 128 bytes. */
export function unknownCommandError(args: Buffer[]): string {
  let quoted = '';
  for (let i = 1; i < args.length && quoted.length < 128; i++) {
    quoted += `'${args[i]!.toString('latin1', 0, 128 - quoted.length)}' `;
  }
  return sanitize(`ERR unknown command '${args[0]!.toString('latin1', 0, 128)}', with args beginning with: ${quoted}`);
}

/** Error replies are one line: Redis maps CR and LF in them to spaces. */
export function sanitize(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}

/** A key's bytes as the keyspace's map key (latin1: one character per byte). */
export function keyOf(arg: Buffer): string {
  return arg.toString('latin1');
}

/** An argument compared case-insensitively with an upper-case option name (letters only). */
export function isOption(arg: Buffer, upper: string): boolean {
  if (arg.length !== upper.length) return false;
  for (let i = 0; i < upper.length; i++) if ((arg[i]! & 0xdf) !== upper.charCodeAt(i)) return false;
  return true;
}
