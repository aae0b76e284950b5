/**
 * `node uws-raw.js`: uWebSockets.js itself, `App().ws(...)` with /echo and /fanout on 127.0.0.1 and
 * a free port, defaults otherwise (compression off). The line of @uwsjs/core that loads on this
 * Node is used (uws-node22-26 first, then uws-node18-23). Prints `listening PORT`.
 */
import { createRequire } from 'node:module';
import type * as UwsModule from 'uws-node18-23';

const require = createRequire(import.meta.url);
const reasons: string[] = [];
let uws: typeof UwsModule | undefined;
for (const line of ['uws-node22-26', 'uws-node18-23']) {
  try {
    uws = require(line) as typeof UwsModule;
    break;
  } catch (error) {
    reasons.push(`${line}: ${String((error as Error).message).split('\n')[0]}`);
  }
}
if (uws === undefined) {
  process.stderr.write(`no uWebSockets.js binary loads on Node ${process.version}: ${reasons.join('; ')}\n`);
  process.exit(1);
}
const native = uws;

native
  .App()
  .ws('/echo', { message: (socket, message, isBinary) => void socket.send(message, isBinary) })
  .ws('/fanout', {
    open: (socket) => void socket.subscribe('t'),
    // ws.publish reaches every other subscriber, not the sender.
    message: (socket, message, isBinary) => void socket.publish('t', message, isBinary),
  })
  .listen('127.0.0.1', 0, (token) => {
    if (token === false) {
      process.stderr.write('uws-raw: listen failed\n');
      process.exit(1);
    }
    process.stdout.write(`listening ${native.us_socket_local_port(token)}\n`);
  });
