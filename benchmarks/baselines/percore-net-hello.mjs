// percore's net engine on one process, without the cluster: the figure issue 2 is judged by.
// Usage: node percore-net-hello.mjs [port]   (after `pnpm build`)
import { createServer, noTimeouts } from '../../packages/server/dist/index.js';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8082);
const body = 'Hello world';
const server = createServer({ handler: (req, res) => res.end(body), http: process.env.NO_TIMEOUTS ? noTimeouts : {} });
await server.listen({ port, host: '127.0.0.1' });
console.log(`percore net hello on ${server.url}/ pid ${process.pid}`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => server.close({ graceMs: 2000 }).then(() => process.exit(0)));
}
