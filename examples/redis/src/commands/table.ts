/** Every command, looked up by name in any case, and the dispatch rules Redis applies before running one (server.c processCommand). */
import { Errors, unknownCommandError, type Command, type CommandContext } from './command.js';
import { keyCommands } from './keys.js';
import { pubsubCommands } from './pubsub.js';
import { serverCommands } from './server.js';
import { stringCommands } from './strings.js';

const commands: Command[] = [];
commands.push(...stringCommands, ...keyCommands, ...pubsubCommands, ...serverCommands(() => commands));

/** By lower-case name, and by upper case too: clients send either, and most send upper case. */
const byName = new Map<string, Command>();
for (const command of commands) {
  byName.set(command.name, command);
  byName.set(command.name.toUpperCase(), command);
}

export const allCommands: readonly Command[] = commands;

/**
 * Runs one command as Redis orders its checks: unknown command, unknown subcommand, arity, then
 * the pub/sub context (RESP2: a subscribed client may only (un)subscribe, PING and QUIT).
 */
export function dispatch(ctx: CommandContext, args: Buffer[]): void {
  const raw = args[0]!.toString('latin1');
  let command = byName.get(raw) ?? byName.get(raw.toLowerCase());
  if (command === undefined) return ctx.reply.error(unknownCommandError(args));
  if (command.subcommands !== undefined && args.length >= 2) {
    const sub = command.subcommands.get(args[1]!.toString('latin1').toLowerCase());
    if (sub === undefined) return ctx.reply.error(Errors.unknownSubcommand(args[1]!.toString('latin1', 0, 128), command.name.toUpperCase()));
    command = sub;
  }
  const arity = command.arity;
  if ((arity > 0 && args.length !== arity) || args.length < -arity) return ctx.reply.error(Errors.arity(command.name));
  if (ctx.client.subscriptionCount > 0 && command.pubsubContext !== true) return ctx.reply.error(Errors.pubsubContext(command.name));
  command.run(ctx, args);
}
