// The node:https baseline: one process answering every request with 200 and "Hello world"
// (Content-Length: 11) over TLS, keep-alive on (node's default), as percore's hello does with
// --cert/--key. Usage: node node-https-hello.mjs <port> <cert.pem> <key.pem>
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [port, cert, key] = process.argv.slice(2);
if (port === undefined || cert === undefined || key === undefined) {
  console.error('usage: node node-https-hello.mjs <port> <cert.pem> <key.pem>');
  process.exit(2);
}
const body = 'Hello world';
createServer({ cert: readFileSync(cert), key: readFileSync(key), keepAlive: true }, (req, res) => {
  res.writeHead(200, { 'Content-Length': body.length });
  res.end(body);
}).listen(Number(port), '127.0.0.1', () => console.log(`node:https hello on https://127.0.0.1:${port}/ pid ${process.pid}`));
