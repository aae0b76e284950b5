// Streaming with backpressure, in one process (createServer, no cluster): the request body is read
// as it arrives and written straight back, chunked, waiting for `drain()` whenever the client lags.
// Run: node --import tsx examples/src/streaming-echo.ts   then   curl -T big.file http://127.0.0.1:8080/
import { createServer } from '@percore/server';

const server = createServer({
  // The default limit is 1 MiB, for the whole body however it is read.
  http: { maxBodySize: 64 * 1024 * 1024 },
  handler: async (req, res) => {
    res.setHeader('Content-Type', req.header('content-type') ?? 'application/octet-stream');
    for await (const chunk of req) {
      if (!res.write(chunk)) await res.drain();
    }
    res.end();
  },
});

await server.listen({ port: Number(process.env.PORT ?? 8080), host: '127.0.0.1' });
console.log(`listening on ${server.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close({ graceMs: 2000 }).then(() => process.exit(0)));
}
