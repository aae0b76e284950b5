// node:http2 through its compatibility API, the (req, res) shape percore's handlers have: one
// process answering every request with 200 and "Hello world" (content-length: 11) over TLS,
// HTTP/2 only (allowHTTP1 false). node-http2-hello.mjs is the same on the bare 'stream' API.
// Usage: node node-http2-compat-hello.mjs <port> <cert.pem> <key.pem>
import { readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';

const [port, cert, key] = process.argv.slice(2);
if (port === undefined || cert === undefined || key === undefined) {
  console.error('usage: node node-http2-compat-hello.mjs <port> <cert.pem> <key.pem>');
  process.exit(2);
}
const body = 'Hello world';
const server = createSecureServer({ cert: readFileSync(cert), key: readFileSync(key), allowHTTP1: false }, (_req, res) => {
  res.writeHead(200, { 'content-length': body.length });
  res.end(body);
});
server.listen(Number(port), '127.0.0.1', () => console.log(`node:http2 (req, res) hello on https://127.0.0.1:${port}/ pid ${process.pid}`));
