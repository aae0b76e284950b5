// percore's uws engine on one process. With "headers" as the second argument the handler reads
// every request header first, to measure what copying them out of uWS costs.
// Usage: node percore-uws-hello.mjs [port] [headers]   (after `pnpm build`)
// PERCORE_DIST=/other/packages/server/dist runs another build (pnpm bench compare --servers ID@DIR).
import { pathToFileURL } from 'node:url';

const dist = process.env.PERCORE_DIST
  ? pathToFileURL(`${process.env.PERCORE_DIST.replace(/\/$/, '')}/`)
  : new URL('../../packages/server/dist/', import.meta.url);
const { createServer, noTimeouts } = await import(new URL('index.js', dist).href);

const port = Number(process.argv[2] ?? process.env.PORT ?? 8086);
const readHeaders = process.argv[3] === 'headers';
const body = 'Hello world';
const server = createServer({
  engine: 'uws',
  handler: readHeaders
    ? (req, res) => {
        if (req.headers.host === undefined) res.status = 400;
        res.end(body);
      }
    : (req, res) => res.end(body),
  http: noTimeouts,
});
await server.listen({ host: '127.0.0.1', port });
console.log(`percore uws hello on http://127.0.0.1:${port}/${readHeaders ? ' (reads every header)' : ''}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close({ graceMs: 1000 }).then(() => process.exit(0)));
