// The node:http2 baseline: one process answering every stream with 200 and "Hello world"
// (content-length: 11) over TLS, HTTP/2 only (allowHTTP1 false: node serves HTTP/1 through
// node:http's parser, which the node:https column measures already).
// Usage: node node-http2-hello.mjs <port> <cert.pem> <key.pem>
import { readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';

const [port, cert, key] = process.argv.slice(2);
if (port === undefined || cert === undefined || key === undefined) {
  console.error('usage: node node-http2-hello.mjs <port> <cert.pem> <key.pem>');
  process.exit(2);
}
const body = 'Hello world';
const server = createSecureServer({ cert: readFileSync(cert), key: readFileSync(key), allowHTTP1: false });
server.on('stream', (stream) => {
  stream.respond({ ':status': 200, 'content-length': body.length });
  stream.end(body);
});
server.listen(Number(port), '127.0.0.1', () => console.log(`node:http2 hello on https://127.0.0.1:${port}/ pid ${process.pid}`));
