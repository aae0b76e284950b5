import { randomBytes } from 'node:crypto';
import { between, ConnectionLost, pause, SoakConnection, within } from './connection.js';
import { openConnection, describeBody, helloMismatch, recordLoss, requestHead, type LoadContext } from './context.js';
import type { LoadClass } from '../tally.js';

/** After its error answer the server must close within this (it sends Connection: close). */
const CLOSE_LIMIT_MS = 5_000;

/** A request the server must refuse with status, then close. */
interface Refused {
  name: string;
  bytes: Buffer;
  status: number;
}

/** Heads over the server's limits (defaults: request line 8 KiB, head 16 KiB, 100 fields). */
export function oversizedCases(): Refused[] {
  const fields = Array.from({ length: 120 }, (_, i) => `X-Field-${i}: ${i}\r\n`).join('');
  return [
    { name: 'a 20 KiB field (431)', bytes: Buffer.from(requestHead('GET', '/big', `X-Big: ${'b'.repeat(20 * 1024)}\r\n`)), status: 431 },
    { name: 'a 9 KiB request line (414)', bytes: Buffer.from(requestHead('GET', `/${'u'.repeat(9 * 1024)}`)), status: 414 },
    { name: '120 fields (431)', bytes: Buffer.from(requestHead('GET', '/many', fields)), status: 431 },
  ];
}

/** Malformed requests: each is a 400 (RFC 9112 2.2, 5 and 6.3). */
export function badInputCases(): Refused[] {
  // Garbage: a control byte first (never a method's character, and not the CRLF a server may skip), random
  // bytes, and a line end: the net parser judges a request line once it has its CRLF (see the soak README).
  const garbage = Buffer.concat([Buffer.from([between(0, 8)]), randomBytes(between(16, 256)), Buffer.from('\r\n\r\n')]);
  return [
    { name: 'random bytes', bytes: garbage, status: 400 },
    { name: 'a field without a colon', bytes: Buffer.from('GET / HTTP/1.1\r\nHost: soak\r\nno colon here\r\n\r\n'), status: 400 },
    { name: 'a non-numeric Content-Length', bytes: Buffer.from('POST / HTTP/1.1\r\nHost: soak\r\nContent-Length: abc\r\n\r\n'), status: 400 },
    { name: 'a space before the colon', bytes: Buffer.from('GET / HTTP/1.1\r\nHost : soak\r\n\r\n'), status: 400 },
  ];
}

/**
 * Sends refused requests in turn, each on a new connection, half of them after a valid request on
 * the same connection (which must be answered as usual first). Each must get its status and a
 * close; any other answer, a hang, or a reset before the answer is a failure.
 */
export async function refusalClient(ctx: LoadContext, cls: LoadClass, cases: () => Refused[]): Promise<void> {
  for (let round = 0; !ctx.signal.aborted; round++) {
    const list = cases();
    const refused = list[round % list.length]!;
    const afterValid = Math.floor(round / list.length) % 2 === 1;
    const conn = await openConnection(ctx, cls);
    if (conn === null) continue;
    await probe(ctx, cls, conn, refused, afterValid);
    conn.destroy();
    await pause(between(20, 60), ctx.signal);
  }
}

async function probe(ctx: LoadContext, cls: LoadClass, conn: SoakConnection, refused: Refused, afterValid: boolean): Promise<void> {
  const label = `${refused.name}${afterValid ? ' after a valid request' : ''}`;
  try {
    if (afterValid) {
      conn.write(requestHead('GET', '/first'), ['GET']);
      const why = helloMismatch(await conn.next(CLOSE_LIMIT_MS), 'GET');
      if (why !== null) return ctx.tally.wrong(cls, `the valid request before ${label}: ${why}`);
    }
    conn.write(refused.bytes, ['GET']);
    ctx.tally.sent(cls);
    const response = await conn.next(CLOSE_LIMIT_MS).catch((error: unknown) => {
      if (error instanceof ConnectionLost) error.message = `${label}: ${error.message}`;
      throw error;
    });
    if (response.status !== refused.status) {
      return ctx.tally.wrong(cls, `${label}: status ${response.status}, expected ${refused.status} (${describeBody(response)})`);
    }
  } catch (error) {
    return recordLoss(ctx, cls, error);
  }
  const ending = await within(conn.closed, CLOSE_LIMIT_MS);
  if (ending === null) return ctx.tally.wrong(cls, `${label}: still open ${CLOSE_LIMIT_MS} ms after the ${refused.status}`);
  ctx.tally.correct(cls);
}
