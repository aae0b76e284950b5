// A raw node:net hello server (a new connection per request) that keeps its open connections in
// a Set, a Map, an intrusive linked list, or nothing: to see what each does to the young
// generation under connection churn. Usage: node --trace-gc-nvp server.mjs PORT set|map|list|none
import { createServer } from 'node:net';
const port = Number(process.argv[2]);
const mode = process.argv[3] ?? '';
const close10 = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nHello world';
const set = new Set();
const map = new Map();
let head = null;
function onData() {
  this.write(close10);
  this.end();
}
function onEnd() {
  this.destroySoon();
}
function onClose() {
  if (mode === 'set') set.delete(this);
  else if (mode === 'map') map.delete(this.id);
  else if (mode === 'list') {
    const s = this;
    if (s.prev) s.prev.next = s.next;
    else head = s.next;
    if (s.next) s.next.prev = s.prev;
    s.next = s.prev = null;
  }
}
let id = 0;
createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
  if (mode === 'set') set.add(socket);
  else if (mode === 'map') map.set((socket.id = id++), socket);
  else if (mode === 'list') {
    socket.prev = null;
    socket.next = head;
    if (head) head.prev = socket;
    head = socket;
  }
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', () => {});
  socket.on('close', onClose);
}).listen(port, '127.0.0.1');
process.on('SIGINT', () => process.exit(0));
