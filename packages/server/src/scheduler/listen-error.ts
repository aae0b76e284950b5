import { PercoreError } from '../errors.js';

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

/** PERCORE_ERR_LISTEN_FAILED for a failed listen, with a sentence saying why and the system error as its cause. */
export function listenFailed(host: string, port: number, error: unknown): PercoreError {
  if (error instanceof PercoreError) return error;
  const message = describeListenError(host, port, error as NodeJS.ErrnoException);
  return new PercoreError('PERCORE_ERR_LISTEN_FAILED', message, { cause: error });
}
