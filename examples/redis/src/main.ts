// A small Redis-compatible server on percore's scheduler, in one process or on every core.
// Run: node --import tsx examples/redis/src/main.ts --port 6380   then   redis-cli -p 6380 SET k v
// --help lists the limits; --workers N runs N workers, each with its own keyspace (see README.md).
import { Scheduler, serve } from '@percore/server';
import { CliError, parseCli, usage, type CliCommand } from './cli.js';
import { RedisServer } from './server.js';

let command: CliCommand | 'help';
try {
  command = parseCli(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  console.error(`redis: ${error.message}\n\n${usage()}`);
  process.exit(2);
}
if (command === 'help') {
  console.log(usage());
  process.exit(0);
}

// Every process makes its own: the primary's is never used; each worker's serves its connections.
const scheduler = new Scheduler();
const redis = new RedisServer(scheduler, command.options);
const clustered = command.workers > 1;
const handle = await serve({
  protocol: redis.protocol,
  scheduler,
  port: command.port,
  host: command.host,
  cluster: clustered,
  workers: command.workers,
  shutdownGraceMs: 1000,
});
redis.info.port = handle.port;
redis.info.bind = command.host;
redis.info.workers = command.workers;
if (handle.role !== 'worker') {
  const mode = clustered ? `${command.workers} workers, each with its own keyspace` : 'one process, one keyspace';
  console.log(`listening on redis://${command.host}:${handle.port} (${mode}; pid ${process.pid})`);
}
