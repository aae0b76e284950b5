/** Connections a loopback server holds, counted from the kernel's TCP table (proc(5) /proc/net/tcp). */
import { readFileSync } from 'node:fs';

const ESTABLISHED = '01';
const CLOSE_WAIT = '08';

/** An IPv4 address and port as /proc/net/tcp writes them: 127.0.0.1:8080 is 0100007F:1F90 (the address in host byte order). */
export function tcpTableAddress(ip: string, port: number): string {
  const bytes = ip.split('.').map((part) => Number(part).toString(16).toUpperCase().padStart(2, '0'));
  return `${bytes.reverse().join('')}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The connections whose local end is `ip`:`port` and that the server still holds (ESTABLISHED, or
 * CLOSE_WAIT: the peer has closed but the server has not), from the text of /proc/net/tcp. Each
 * peer is counted once: the kernel may repeat a row when the table changes while it is read.
 */
export function heldConnections(table: string, ip: string, port: number): number {
  const local = tcpTableAddress(ip, port);
  const peers = new Set<string>();
  for (const line of table.split('\n')) {
    // sl local_address rem_address st ...
    const [, address, peer, state] = line.trim().split(/\s+/);
    if (address === local && peer !== undefined && (state === ESTABLISHED || state === CLOSE_WAIT)) peers.add(peer);
  }
  return peers.size;
}

/** heldConnections for a server on 127.0.0.1, from this machine's IPv4 TCP table now. */
export function serverConnections(port: number, ip = '127.0.0.1'): number {
  return heldConnections(readFileSync('/proc/net/tcp', 'latin1'), ip, port);
}
