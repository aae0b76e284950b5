/**
 * `node ws.js`: the ws package's WebSocketServer (its own HTTP server, perMessageDeflate off) with
 * /echo and /fanout on 127.0.0.1 and a free port. /fanout sends each message to every other
 * /fanout socket, as a uWS publish does. Prints `listening PORT`.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const fanout = new Set<WebSocket>();
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });

server.on('connection', (socket, req) => {
  if (req.url === '/echo') {
    socket.on('message', (data: Buffer, isBinary) => socket.send(data, { binary: isBinary }));
  } else if (req.url === '/fanout') {
    fanout.add(socket);
    socket.on('close', () => fanout.delete(socket));
    socket.on('message', (data: Buffer, isBinary) => {
      for (const other of fanout) if (other !== socket && other.readyState === other.OPEN) other.send(data, { binary: isBinary });
    });
  } else {
    socket.close(1008, 'WebSockets on /echo and /fanout');
  }
});
server.on('error', (error) => {
  process.stderr.write(`ws: ${error.message}\n`);
  process.exit(1);
});
server.on('listening', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
