// percore's hello through a Router of ten routes (static, :param and a wildcard; GET /hello among
// them) on one process: pnpm bench compare --path /hello puts it beside percore-net-1's plain
// handler. Any other path gets the router's 404.
// Usage: node percore-router-hello.mjs [port] [net|uws]   (after `pnpm build`)
// PERCORE_DIST=/other/packages/server/dist runs another build (pnpm bench compare --servers ID@DIR).
import { pathToFileURL } from 'node:url';

const dist = process.env.PERCORE_DIST
  ? pathToFileURL(`${process.env.PERCORE_DIST.replace(/\/$/, '')}/`)
  : new URL('../../packages/server/dist/', import.meta.url);
const { createServer, noTimeouts, Router } = await import(new URL('index.js', dist).href);

const port = Number(process.argv[2] ?? process.env.PORT ?? 8093);
const engine = process.argv[3] ?? 'net';
const body = 'Hello world';
const other = (req, res) => res.end(req.route ?? '');
const router = new Router();
router.get('/', other);
router.get('/health', other);
router.get('/users', other);
router.get('/users/:id', other);
router.get('/users/:id/posts', other);
router.get('/users/:id/posts/:postId', other);
router.get('/hello', (req, res) => res.end(body));
router.get('/posts', other);
router.get('/posts/:id', other);
router.get('/assets/*', other);
const server = createServer({ engine, handler: router.handler, http: engine === 'uws' ? noTimeouts : {} });
await server.listen({ port, host: '127.0.0.1' });
console.log(`percore ${engine} hello through a 10-route Router on ${server.url}/hello pid ${process.pid}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close({ graceMs: 1000 }).then(() => process.exit(0)));
