// The node:http baseline: one process answering every request with 200 and "Hello world"
// (Content-Length: 11), as percore's hello does. Usage: node node-http-hello.mjs [port]
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8081);
const body = 'Hello world';
createServer((req, res) => {
  res.writeHead(200, { 'Content-Length': body.length });
  res.end(body);
}).listen(port, '127.0.0.1', () => console.log(`node:http hello on http://127.0.0.1:${port}/ pid ${process.pid}`));
