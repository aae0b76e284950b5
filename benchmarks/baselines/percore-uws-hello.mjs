// percore's uws engine on one process. With "headers" as the second argument the handler reads
// every request header first, to measure what copying them out of uWS costs.
// Usage: node percore-uws-hello.mjs [port] [headers]   (after `pnpm build`)
import { createServer, noTimeouts } from '../../packages/server/dist/index.js';

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
