// sirv 3.0.2 on node:http, one process, serving ROOT as sirv's users run it (its defaults:
// production mode, which reads the file list once at start; no dotfiles, no etag).
// Usage: node sirv-static.mjs [port] [root]   (root also from STATIC_ROOT)
import { createRequire } from 'node:module';
import { createServer } from 'node:http';

// sirv is the bench package's dependency: resolve it from there.
const require = createRequire(new URL('../../packages/bench/package.json', import.meta.url));
const { default: sirv } = await import(require.resolve('sirv'));

const port = Number(process.argv[2] ?? process.env.PORT ?? 8090);
const root = process.argv[3] ?? process.env.STATIC_ROOT;
if (!root) throw new Error('sirv-static.mjs needs a root directory (argument or STATIC_ROOT)');
const serve = sirv(root);
createServer((req, res) => serve(req, res)).listen(port, '127.0.0.1', () =>
  console.log(`sirv on node:http serving ${root} on http://127.0.0.1:${port}/ pid ${process.pid}`),
);
