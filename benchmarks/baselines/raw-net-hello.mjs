// The ceiling for any HTTP state machine on node:net: a raw socket server that answers each read
// with a fixed hello response and parses nothing. Correct only for clients that send one
// request per read and wait for the reply (ab -k, wrk and autocannon without pipelining);
// never use it as a server. Usage: node raw-net-hello.mjs [port]
import { createServer } from 'node:net';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8084);
const keepAlive11 = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nHello world';
const keepAlive10 = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\nHello world';
createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => socket.write(chunk.includes('HTTP/1.0') ? keepAlive10 : keepAlive11));
  socket.on('error', () => {});
}).listen(port, '127.0.0.1', () => console.log(`raw node:net hello on http://127.0.0.1:${port}/`));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0));
