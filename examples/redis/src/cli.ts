/** The command line of main.ts: parsed here, apart from the process, so that a test can check it. */
import { DEFAULT_OPTIONS, type RedisServerOptions } from './options.js';

export interface CliCommand {
  port: number;
  host: string;
  /** 1: one process (the default). More: a cluster of workers, each with its own keyspace. */
  workers: number;
  options: RedisServerOptions;
}

export class CliError extends Error {}

const MIB = 1024 * 1024;

export function usage(): string {
  return `Usage: node --import tsx examples/redis/src/main.ts [options]

A small Redis-compatible server on percore's scheduler: strings, expiry, pub/sub, INFO and
CONFIG GET (what redis-cli and redis-benchmark need), RESP2, pipelined or inline.

  --port N            port to listen on (default 6380, or $PORT; 0 picks a free one)
  --host H            address to bind (default 127.0.0.1)
  --single            one process, one keyspace (the default)
  --workers N         N worker processes on one port. Each worker has its OWN keyspace and
                      pub/sub: like N Redis instances behind one port, a client sees the keys of
                      whichever worker took its connection, and two connections may see
                      different data. For load tests of the protocol, not for a shared store.
  --max-bulk MIB      longest bulk string (proto-max-bulk-len; default ${DEFAULT_OPTIONS.maxBulkLength / MIB})
  --max-args N        most arguments in a command (default ${DEFAULT_OPTIONS.maxArguments})
  --max-query MIB     bytes held for one incomplete command (default ${DEFAULT_OPTIONS.maxQueryBytes / MIB})
  --max-output MIB    unread replies before a client is disconnected (default ${DEFAULT_OPTIONS.maxOutputBytes / MIB})
  --timeout SECONDS   close clients idle this long (Redis's timeout; default 0: never)
  --help              this text

It prints "listening on redis://HOST:PORT" once it serves; SIGINT or SIGTERM stop it.`;
}

/** Parses argv (without node and the script); `env` supplies PORT. Returns 'help' for --help. */
export function parseCli(argv: string[], env: Record<string, string | undefined> = {}): CliCommand | 'help' {
  const command: CliCommand = {
    port: env.PORT === undefined ? 6380 : integer('PORT', env.PORT, 0, 65535),
    host: '127.0.0.1',
    workers: 1,
    options: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new CliError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--port':
        command.port = integer(flag, value(), 0, 65535);
        break;
      case '--host':
        command.host = value();
        break;
      case '--single':
        command.workers = 1;
        break;
      case '--workers':
        command.workers = integer(flag, value(), 1, 1024);
        break;
      case '--max-bulk':
        command.options.maxBulkLength = integer(flag, value(), 1, 4096) * MIB;
        break;
      case '--max-args':
        command.options.maxArguments = integer(flag, value(), 1, 1 << 24);
        break;
      case '--max-query':
        command.options.maxQueryBytes = integer(flag, value(), 1, 16384) * MIB;
        break;
      case '--max-output':
        command.options.maxOutputBytes = integer(flag, value(), 1, 16384) * MIB;
        break;
      case '--timeout':
        command.options.idleTimeoutSeconds = integer(flag, value(), 0, 2_000_000);
        break;
      default:
        throw new CliError(`unknown option ${flag}`);
    }
  }
  return command;
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new CliError(`${name} must be an integer from ${min} to ${max}, got '${text}'`);
  return value;
}
