// percore serveStatic(ROOT) on one process, on the net engine or uws ("uws" as the third argument).
// Usage: node percore-static.mjs [port] [root] [net|uws]   (after `pnpm build`; root also from STATIC_ROOT)
// PERCORE_DIST=/other/packages/server/dist runs another build (pnpm bench compare --servers ID@DIR).
import { pathToFileURL } from 'node:url';

const dist = process.env.PERCORE_DIST
  ? pathToFileURL(`${process.env.PERCORE_DIST.replace(/\/$/, '')}/`)
  : new URL('../../packages/server/dist/', import.meta.url);
const { createServer, noTimeouts, serveStatic } = await import(new URL('index.js', dist).href);

const port = Number(process.argv[2] ?? process.env.PORT ?? 8092);
const root = process.argv[3] ?? process.env.STATIC_ROOT;
const engine = process.argv[4] ?? 'net';
if (!root) throw new Error('percore-static.mjs needs a root directory (argument or STATIC_ROOT)');
const server = createServer({ engine, handler: serveStatic(root), http: engine === 'uws' ? noTimeouts : {} });
await server.listen({ port, host: '127.0.0.1' });
console.log(`percore ${engine} serveStatic(${root}) on ${server.url}/ pid ${process.pid}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close({ graceMs: 1000 }).then(() => process.exit(0)));
