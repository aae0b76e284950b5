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

/** A sentence for a listen error, for people. */
export function describeListenError(host: string, port: number, error: NodeJS.ErrnoException): string {
  const where = `${host}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the address is already in use (EADDRINUSE). Is another server running there? Choose another port.`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (EACCES). Ports below 1024 need privileges; choose a higher port.`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: the address is not available on this machine (EADDRNOTAVAIL). Check the host.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where}: the host name does not resolve (${error.code}).`;
    default:
      return `cannot listen on ${where}: ${error.message}${error.code ? ` (${error.code})` : ''}`;
  }
}
