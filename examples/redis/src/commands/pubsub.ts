/**
 * Pub/sub (Redis's pubsub.c), RESP2: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE and
 * PUBLISH. Each (un)subscription is confirmed with a [kind, name, count] array, where count is
 * the client's channels plus patterns; messages arrive as [message, channel, payload].
 */
import type { Command, CommandContext } from './command.js';

type Kind = 'subscribe' | 'unsubscribe' | 'psubscribe' | 'punsubscribe';

function confirm(ctx: CommandContext, kind: Kind, name: Buffer | null): void {
  ctx.reply.arrayHeader(3);
  ctx.reply.bulk(Buffer.from(kind, 'latin1'));
  ctx.reply.bulk(name);
  ctx.reply.integer(ctx.client.subscriptionCount);
}

function subscribeCommand(kind: 'subscribe' | 'psubscribe'): Command {
  return {
    name: kind,
    arity: -2,
    pubsubContext: true,
    run: (ctx, args) => {
      for (let i = 1; i < args.length; i++) {
        const name = args[i]!.toString('latin1');
        if (kind === 'subscribe') ctx.pubsub.subscribe(ctx.client, name);
        else ctx.pubsub.psubscribe(ctx.client, name);
        confirm(ctx, kind, args[i]!);
      }
    },
  };
}

function unsubscribeCommand(kind: 'unsubscribe' | 'punsubscribe'): Command {
  return {
    name: kind,
    arity: -1,
    pubsubContext: true,
    run: (ctx, args) => {
      const own = kind === 'unsubscribe' ? ctx.client.channels : ctx.client.patterns;
      const names = args.length > 1 ? args.slice(1).map((arg) => arg.toString('latin1')) : [...own];
      // With nothing to leave, Redis still confirms once, with a nil name.
      if (names.length === 0) return confirm(ctx, kind, null);
      for (const name of names) {
        if (kind === 'unsubscribe') ctx.pubsub.unsubscribe(ctx.client, name);
        else ctx.pubsub.punsubscribe(ctx.client, name);
        confirm(ctx, kind, Buffer.from(name, 'latin1'));
      }
    },
  };
}

export const pubsubCommands: Command[] = [
  subscribeCommand('subscribe'),
  subscribeCommand('psubscribe'),
  unsubscribeCommand('unsubscribe'),
  unsubscribeCommand('punsubscribe'),
  { name: 'publish', arity: 3, run: (ctx, args) => ctx.reply.integer(ctx.pubsub.publish(args[1]!, args[2]!)) },
];
