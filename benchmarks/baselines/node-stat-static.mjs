// node:http serving ROOT with `stat` + `createReadStream` per request, the way a hand-written
// node static server does it: 200 with Content-Length and the file piped, 404 when stat fails.
// Usage: node node-stat-static.mjs [port] [root]   (root also from STATIC_ROOT)
import { createReadStream, stat } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8091);
const root = process.argv[3] ?? process.env.STATIC_ROOT;
if (!root) throw new Error('node-stat-static.mjs needs a root directory (argument or STATIC_ROOT)');

createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = join(root, normalize(path));
  if (!file.startsWith(root)) {
    res.writeHead(400).end();
    return;
  }
  stat(file, (error, stats) => {
    if (error || !stats.isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 9 }).end('Not Found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': stats.size });
    createReadStream(file).pipe(res);
  });
}).listen(port, '127.0.0.1', () =>
  console.log(`node:http stat + createReadStream serving ${root} on http://127.0.0.1:${port}/ pid ${process.pid}`),
);
