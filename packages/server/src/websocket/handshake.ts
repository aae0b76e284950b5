import { createHash } from 'node:crypto';
import { UpgradeRejection } from './api.js';

/** The server side of the opening handshake (RFC 6455 4.2), the same on both engines. */

/** RFC 6455 1.3: appended to the client's key before hashing. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** RFC 6455 4.1: the key is 16 random bytes in base64: 22 characters and '=='. */
const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/;

/** The request fields the handshake depends on; an absent field is undefined. */
export interface HandshakeFields {
  readonly method: string;
  readonly upgrade: string | undefined;
  readonly connection: string | undefined;
  readonly key: string | undefined;
  readonly version: string | undefined;
}

/** Whether `list` (a comma-separated field value) holds `token`, compared case-insensitively (RFC 9110 5.6.1). */
export function hasToken(list: string | undefined, token: string): boolean {
  if (list === undefined) return false;
  for (const item of list.split(',')) if (item.trim().toLowerCase() === token) return true;
  return false;
}

/**
 * Whether a request on a WebSocket route means to open one: it asks for the websocket upgrade or
 * carries a key. Such a request gets the handshake's checks; any other goes to the HTTP handler.
 */
export function isWebSocketAttempt(upgrade: string | undefined, key: string | undefined): boolean {
  return key !== undefined || hasToken(upgrade, 'websocket');
}

/**
 * RFC 6455 4.2.1: a GET, with `Upgrade: websocket`, `Connection` holding `upgrade`, and a key of
 * 16 bytes in base64, else 400; 4.2.2 and 4.4: a version other than 13 gets 426 with the one
 * spoken. Returns the refusal, or null for a valid handshake.
 */
export function checkHandshake(fields: HandshakeFields): UpgradeRejection | null {
  const invalid = (detail: string) => new UpgradeRejection(400, `Bad Request: ${detail} (RFC 6455 4.2.1)\n`);
  if (fields.method !== 'GET') return invalid('a WebSocket opening handshake is a GET');
  if (!hasToken(fields.upgrade, 'websocket')) return invalid('Upgrade must be websocket');
  if (!hasToken(fields.connection, 'upgrade')) return invalid('Connection must hold upgrade');
  if (fields.key === undefined || !KEY_PATTERN.test(fields.key.trim())) return invalid('Sec-WebSocket-Key must be 16 bytes in base64');
  if (fields.version?.trim() !== '13') {
    return new UpgradeRejection(426, 'Upgrade Required: Sec-WebSocket-Version 13\n', { 'Sec-WebSocket-Version': '13' });
  }
  return null;
}

/** RFC 6455 4.2.2: Sec-WebSocket-Accept, the base64 SHA-1 of the key and the GUID. */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key.trim() + ACCEPT_GUID, 'latin1')
    .digest('base64');
}

/** The subprotocols a client offered in Sec-WebSocket-Protocol, in its order (RFC 6455 4.1). */
export function offeredProtocols(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}
