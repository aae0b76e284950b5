// The ceiling for any HTTP state machine on node:net: a raw socket server that answers each read
// with a fixed hello response and parses nothing. Correct only for clients that send one
// request per read and wait for the reply (ab, ab -k, wrk and autocannon without pipelining);
// never use it as a server. An HTTP/1.0 request without keep-alive (ab without -k) is answered
// and the connection ended, as HTTP/1.0 requires. Usage: node raw-net-hello.mjs [port]
import { createServer } from 'node:net';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8084);
const keepAlive11 = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nHello world';
const keepAlive10 = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\nHello world';
const close10 = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nHello world';
createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => {
    if (!chunk.includes('HTTP/1.0')) socket.write(keepAlive11);
    else if (chunk.includes('Keep-Alive') || chunk.includes('keep-alive')) socket.write(keepAlive10);
    else socket.end(close10);
  });
  socket.on('error', () => {});
}).listen(port, '127.0.0.1', () => console.log(`raw node:net hello on http://127.0.0.1:${port}/`));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0));
