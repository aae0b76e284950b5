import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { testCertificate } from './tls-cert.js';

/** A TLS connection to 127.0.0.1:port that trusts the test certificate; resolves once the handshake is done. */
export function tlsConnectTo(port: number, options: ConnectionOptions = {}, deadlineMs = 3000): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: testCertificate().cert, servername: 'localhost', ...options });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TLS handshake with port ${port} within ${deadlineMs} ms`));
    }, deadlineMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
