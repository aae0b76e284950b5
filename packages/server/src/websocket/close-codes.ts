import { PercoreError } from '../errors.js';

/** WebSocket close codes (RFC 6455 7.4): which may be sent, and which may be received. */

/** RFC 6455 7.1.6: a close reason is at most 123 bytes of UTF-8 (a control frame's payload is 125, less the code). */
export const MAX_CLOSE_REASON_BYTES = 123;

/** The codes with a meaning percore gives them (RFC 6455 7.4.1). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** Never on the wire: the close frame had no code. */
  NO_STATUS: 1005,
  /** Never on the wire: the connection ended without a close frame. */
  ABNORMAL: 1006,
  INVALID_DATA: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
} as const;

/**
 * RFC 6455 7.4.1 and 7.4.2: 1004 is reserved, 1005 and 1006 must never be sent, 1015 is for TLS;
 * 1000-1014 otherwise, and 3000-4999 for libraries and applications. The same set is valid to
 * send and to receive (a close frame carrying any other code fails the connection with 1002).
 */
export function isValidCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))
  );
}

/** Throws PERCORE_ERR_INVALID_CLOSE for a code or reason that may not be sent. */
export function checkClose(code: number, reason: string): void {
  if (!isValidCloseCode(code)) throw new PercoreError('PERCORE_ERR_INVALID_CLOSE', `got ${String(code)}`);
  if (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) {
    throw new PercoreError('PERCORE_ERR_INVALID_CLOSE', `the close reason is longer than ${MAX_CLOSE_REASON_BYTES} bytes`);
  }
}

/** Throws PERCORE_ERR_INVALID_CLOSE for a code that may not be sent. */
export function checkCloseCode(code: number): void {
  if (!isValidCloseCode(code)) throw new PercoreError('PERCORE_ERR_INVALID_CLOSE', `got ${String(code)}`);
}
