import { STATUS_CODES } from 'node:http';

const lines: string[] = [];

/** 'HTTP/1.1 200 OK\r\n', cached per status. Responses always name 1.1 (RFC 9112 2.3). */
export function statusLine(status: number): string {
  return (lines[status] ??= `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`);
}

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

/** RFC 9110 6.4.1: 1xx, 204 and 304 responses never carry content. */
export function statusHasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}
