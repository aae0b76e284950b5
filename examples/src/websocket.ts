// WebSockets and pub/sub on the uws engine: /echo sends every message back; /rooms/NAME joins a
// room, where a message goes to everyone else in it, and `POST /rooms/NAME` announces to all of it.
// Run: node --import tsx examples/src/websocket.ts   then connect to ws://127.0.0.1:8080/echo
import { createServer, type WebSocketBehavior } from '@percore/server';

interface Member {
  topic: string;
}

const echo: WebSocketBehavior = {
  message: (socket, message, isBinary) => void socket.send(message, isBinary),
};

const rooms: WebSocketBehavior<Member> = {
  // The upgrade hook's result becomes the socket's `data`.
  upgrade: (req) => ({ topic: `room/${req.params.room}` }),
  open: (socket) => void socket.subscribe(socket.data.topic),
  // A socket's publish reaches every other subscriber, not itself.
  message: (socket, message, isBinary) => socket.publish(socket.data.topic, message, isBinary),
};

const server = createServer({
  engine: 'uws',
  websockets: { '/echo': echo, '/rooms/:room': rooms },
  handler: async (req, res) => {
    const room = /^\/rooms\/([^/]+)$/.exec(req.path)?.[1];
    if (req.method !== 'POST' || room === undefined) {
      res.status = 404;
      return res.end('WebSockets on /echo and /rooms/NAME; POST /rooms/NAME announces\n');
    }
    // The server publishes to every subscriber of the room (`pubsub` is there on uws).
    server.pubsub!.publish(`room/${room}`, await req.text());
    res.status = 202;
    res.end();
  },
});

await server.listen({ port: Number(process.env.PORT ?? 8080), host: '127.0.0.1' });
console.log(`listening on ${server.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close({ graceMs: 1000 }).then(() => process.exit(0)));
}
