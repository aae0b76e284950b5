// The README's WebSocket example, type-checked with the tests so that it keeps compiling.
import { rejectUpgrade, serve } from '../../src/index.js';

export async function example(): Promise<void> {
  const handle = await serve({
    engine: 'uws',
    handler: (_req, res) => res.end('Hello world'),
    websockets: {
      '/chat/:room': {
        upgrade: (req) => (req.header('authorization') ? { room: req.params.room! } : rejectUpgrade(401)),
        open: (socket) => {
          socket.subscribe(socket.data.room);
        },
        message: (socket, message, isBinary) => socket.publish(socket.data.room, message, isBinary),
        maxPayloadLength: 64 * 1024,
        maxBackpressure: 1 << 20,
      },
    },
  });
  handle.publish('lobby', 'from anywhere');
}
