import { createServer } from 'node:net';

export interface ProbeResult {
  /** The port to use: the one asked for, or the one the system chose for port 0. */
  port: number;
}

/**
 * Binds host:port once in the primary, before any worker starts, and lets it go. A port that is
 * taken (or an address that can't be bound) fails here, loudly, instead of in every worker, or
 * silently (a uWebSockets.js listen can "succeed" on a busy port).
 */
export function probeAddress(host: string, port: number): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve({ port: bound }));
    });
  });
}
