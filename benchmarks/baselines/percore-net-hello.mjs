// percore's net engine on one process, without the cluster: the figure issue 2 is judged by.
// Usage: node percore-net-hello.mjs [port]   (after `pnpm build`)
// PERCORE_DIST=/other/packages/server/dist runs another build (pnpm bench compare --servers ID@DIR).
// OBSERVER=1 sets an exchange observer that counts requests, as every cluster worker has.
import { pathToFileURL } from 'node:url';

const dist = process.env.PERCORE_DIST
  ? pathToFileURL(`${process.env.PERCORE_DIST.replace(/\/$/, '')}/`)
  : new URL('../../packages/server/dist/', import.meta.url);
const { createServer, noTimeouts } = await import(new URL('index.js', dist).href);

const port = Number(process.argv[2] ?? process.env.PORT ?? 8082);
const body = 'Hello world';
let requests = 0;
const observer = process.env.OBSERVER === '1' ? { started: () => void requests++ } : undefined;
const server = createServer({ handler: (req, res) => res.end(body), http: process.env.NO_TIMEOUTS ? noTimeouts : {}, observer });
await server.listen({ port, host: '127.0.0.1' });
console.log(`percore net hello on ${server.url}/ pid ${process.pid}${observer ? ' (with an observer)' : ''}`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () =>
    server.close({ graceMs: 2000 }).then(() => {
      if (observer) console.log(`observed ${requests} requests`);
      process.exit(0);
    }),
  );
}
