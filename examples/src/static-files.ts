// Static files under a prefix, next to other routes: serveStatic mounted in a Router, with
// precompressed siblings (app.js.br, app.js.gz), a Cache-Control max-age and the router's 404 page.
// Run: STATIC_ROOT=./public node --import tsx examples/src/static-files.ts
//      curl -i http://127.0.0.1:8080/static/   curl -r 0-99 ...   curl --compressed ...
import { fileURLToPath } from 'node:url';
import { createServer, Router, serveStatic } from '@percore/server';

const root = process.env.STATIC_ROOT ?? fileURLToPath(new URL('.', import.meta.url));

const router = new Router({ errorPages: { 404: { body: 'Nothing here.\n' } } });
router.get('/', (_req, res) => {
  res.status = 302;
  res.setHeader('Location', '/static/');
  res.end();
});
// The handler checks its options now: a missing root throws PERCORE_ERR_INVALID_OPTION here.
router.mount('/static', serveStatic(root, { precompressed: true, maxAge: 60 }));

const server = createServer({ handler: router.handler });
await server.listen({ port: Number(process.env.PORT ?? 8080), host: '127.0.0.1' });
console.log(`listening on ${server.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close({ graceMs: 2000 }).then(() => process.exit(0)));
}
