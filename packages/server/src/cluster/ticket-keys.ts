import { randomBytes } from 'node:crypto';
import type { ResolvedServeOptions } from './options.js';

/** The primary's ticket keys, hex, in a forked worker's environment. */
export const TICKET_KEYS_ENV = 'PERCORE_TLS_TICKET_KEYS';
/** node:tls's `ticketKeys`: 16 bytes of key name, 16 of HMAC secret, 16 of AES key. */
export const TICKET_KEY_BYTES = 48;
export const DEFAULT_TICKET_ROTATION_MS = 12 * 60 * 60 * 1000;

/**
 * Whether percore makes the session ticket keys (and rotates them): TLS on the net engine, where
 * the program set no `ticketKeys` of its own. uWS cannot take keys.
 */
export function managesTicketKeys(options: ResolvedServeOptions): boolean {
  const tls = options.transport?.tls;
  return tls !== undefined && tls.ticketKeys === undefined && options.engine === 'net';
}

export function newTicketKeys(): Buffer {
  return randomBytes(TICKET_KEY_BYTES);
}
