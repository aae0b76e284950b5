/**
 * Connection and server commands (Redis's server.c, config.c, networking.c): PING, ECHO, QUIT,
 * SELECT, HELLO (RESP2 only), INFO, CONFIG GET, COMMAND (DOCS, COUNT, INFO), CLIENT (SETNAME,
 * GETNAME, ID, SETINFO): what redis-cli and redis-benchmark send besides data commands.
 */
import { parseInt64 } from '../store/integers.js';
import { REDIS_COMPATIBLE_VERSION } from '../server-info.js';
import { container, Errors, isOption, type Command, type CommandContext } from './command.js';

function ping(ctx: CommandContext, args: Buffer[]): void {
  if (args.length > 2) return ctx.reply.error(Errors.arity('ping'));
  // RESP2 pub/sub mode answers a [pong, message] array instead.
  if (ctx.client.subscriptionCount > 0) {
    ctx.reply.arrayHeader(2);
    ctx.reply.bulk(Buffer.from('pong', 'latin1'));
    ctx.reply.bulk(args[1] ?? Buffer.alloc(0));
  } else if (args.length === 2) {
    ctx.reply.bulk(args[1]!);
  } else {
    ctx.reply.simple('PONG');
  }
}

function select(ctx: CommandContext, args: Buffer[]): void {
  const index = parseInt64(args[1]!);
  if (index === null) return ctx.reply.error(Errors.notInteger);
  // One keyspace: db 0. Redis answers this for any index past `databases`.
  if (index !== 0) return ctx.reply.error(Errors.dbIndexRange);
  ctx.reply.simple('OK');
}

function hello(ctx: CommandContext, args: Buffer[]): void {
  if (args.length >= 2) {
    const version = parseInt64(args[1]!);
    if (version === null) return ctx.reply.error('ERR Protocol version is not an integer or out of range');
    if (version !== 2) return ctx.reply.error('NOPROTO unsupported protocol version');
    for (let j = 2; j < args.length; j++) {
      if (isOption(args[j]!, 'SETNAME') && j + 1 < args.length) {
        if (!setName(ctx, args[++j]!)) return;
      } else {
        return ctx.reply.error(`ERR Syntax error in HELLO option '${args[j]!.toString('latin1')}'`);
      }
    }
  }
  const fields: Array<[string, string | number]> = [
    ['server', 'redis'],
    ['version', REDIS_COMPATIBLE_VERSION],
    ['proto', 2],
    ['id', ctx.client.clientId],
    ['mode', 'standalone'],
    ['role', 'master'],
  ];
  ctx.reply.arrayHeader(fields.length * 2 + 2);
  for (const [name, value] of fields) {
    ctx.reply.bulkText(name);
    if (typeof value === 'number') ctx.reply.integer(value);
    else ctx.reply.bulkText(value);
  }
  ctx.reply.bulkText('modules');
  ctx.reply.arrayHeader(0);
}

/** CLIENT SETNAME's rule: no spaces, newlines or other characters outside '!'..'~'. */
function setName(ctx: CommandContext, name: Buffer): boolean {
  for (const byte of name) {
    if (byte < 0x21 || byte > 0x7e) {
      ctx.reply.error('ERR Client names cannot contain spaces, newlines or special characters.');
      return false;
    }
  }
  ctx.client.name = name.length === 0 ? null : name.toString('latin1');
  return true;
}

function configGet(ctx: CommandContext, args: Buffer[]): void {
  const pairs = ctx.server.configGet(args.slice(2).map((arg) => arg.toString('latin1')));
  ctx.reply.arrayHeader(pairs.length * 2);
  for (const [name, value] of pairs) {
    ctx.reply.bulkText(name);
    ctx.reply.bulkText(value);
  }
}

/** COMMAND's per-command entry: name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands. */
function commandEntry(ctx: CommandContext, command: Command): void {
  ctx.reply.arrayHeader(10);
  ctx.reply.bulkText(command.name);
  ctx.reply.integer(command.arity);
  ctx.reply.arrayHeader(0);
  ctx.reply.integer(0);
  ctx.reply.integer(0);
  ctx.reply.integer(0);
  for (let i = 0; i < 4; i++) ctx.reply.arrayHeader(0);
}

/** The server's commands; `all` lists every command, for COMMAND. */
export function serverCommands(all: () => readonly Command[]): Command[] {
  return [
    { name: 'ping', arity: -1, pubsubContext: true, run: ping },
    { name: 'echo', arity: 2, run: (ctx, args) => ctx.reply.bulk(args[1]!) },
    {
      name: 'quit',
      arity: -1,
      pubsubContext: true,
      run: (ctx) => {
        ctx.reply.simple('OK');
        ctx.client.closeAfterReply();
      },
    },
    { name: 'select', arity: 2, run: select },
    { name: 'hello', arity: -1, run: hello },
    {
      name: 'info',
      arity: -1,
      run: (ctx, args) => ctx.reply.bulkText(ctx.server.info(args.slice(1).map((arg) => arg.toString('latin1')))),
    },
    container('config', [{ name: 'config|get', arity: -3, run: configGet }]),
    {
      name: 'command',
      arity: -1,
      run: (ctx) => {
        const commands = all();
        ctx.reply.arrayHeader(commands.length);
        for (const command of commands) commandEntry(ctx, command);
      },
      subcommands: new Map<string, Command>([
        // redis-cli 7 asks for the docs to show hints; none is a valid answer.
        ['docs', { name: 'command|docs', arity: -2, run: (ctx) => ctx.reply.arrayHeader(0) }],
        ['count', { name: 'command|count', arity: 2, run: (ctx) => ctx.reply.integer(all().length) }],
        [
          'info',
          {
            name: 'command|info',
            arity: -2,
            run: (ctx, args) => {
              ctx.reply.arrayHeader(args.length - 2);
              for (const arg of args.slice(2)) {
                const command = all().find((c) => c.name === arg.toString('latin1').toLowerCase());
                if (command === undefined) ctx.reply.nullBulk();
                else commandEntry(ctx, command);
              }
            },
          },
        ],
      ]),
    },
    container('client', [
      { name: 'client|setname', arity: 3, run: (ctx, args) => void (setName(ctx, args[2]!) && ctx.reply.simple('OK')) },
      {
        name: 'client|getname',
        arity: 2,
        run: (ctx) => ctx.reply.bulk(ctx.client.name === null ? null : Buffer.from(ctx.client.name, 'latin1')),
      },
      { name: 'client|id', arity: 2, run: (ctx) => ctx.reply.integer(ctx.client.clientId) },
      // Redis 7.2 clients send their library's name and version; accepted and not kept.
      { name: 'client|setinfo', arity: 4, run: (ctx) => ctx.reply.simple('OK') },
    ]),
  ];
}
