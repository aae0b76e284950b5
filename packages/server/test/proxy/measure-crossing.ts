/**
 * A measurement, not a test: how often a POST sent through nginx after an idle pause near the
 * server's keep-alive timeout is answered 502, with ordinary timing (no blocked event loop, so
 * the crossing happens only when the timing falls that way). Prints one JSON line per ordering.
 *
 *   npx tsx test/proxy/measure-crossing.ts [attempts]
 *
 * Results: benchmarks/results/2026-12-01-nginx-keepalive.md.
 */
import { createServer } from '../../src/server.js';
import { RawClient, delay } from '../support/raw-client.js';
import { startNginx } from './nginx.js';

const attempts = Number(process.argv[2] ?? 40);

async function measure(keepAliveTimeout: number, nginxS: number): Promise<void> {
  const server = createServer({
    handler: async (req, res) => res.end(`echo ${await req.text()}`),
    http: { keepAliveTimeout },
    scheduler: { timerResolutionMs: 10 },
  });
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  const nginx = await startNginx({ port, keepalive: 8, keepaliveTimeoutS: nginxS });
  const statuses: Record<number, number> = {};
  const hits: number[] = [];
  try {
    const client = await RawClient.connect(nginx.port);
    const send = async (body: string) => {
      void client.write(`POST / HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      return (await client.readResponse('POST', { timeoutMs: 5000 })).status;
    };
    for (let i = 0; i < attempts; i++) {
      await send('warm');
      const answered = performance.now();
      // Offsets from -5 ms to +25 ms past the server's timeout, in 0.75 ms steps.
      const offset = -5 + ((i * 0.75) % 30);
      await delay(answered + keepAliveTimeout + offset - performance.now());
      const status = await send('after idle');
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 502) hits.push(Number(offset.toFixed(2)));
    }
    client.destroy();
  } finally {
    await nginx.stop();
    await server.close({ graceMs: 0 });
  }
  console.log(
    JSON.stringify({ serverKeepAliveMs: keepAliveTimeout, nginxKeepaliveTimeoutS: nginxS, attempts, statuses, offsetsWith502: hits }),
  );
}

await measure(1000, 3);
await measure(2000, 1);
