import type { LoadClass, Tally } from '../tally.js';
import type { SoakResponse } from '../response-reader.js';
import { ConnectionLost, pause, SoakConnection, type Target } from './connection.js';

/** What every load loop gets: where to send, where to count, and when to stop. */
export interface LoadContext {
  target: Target;
  tally: Tally;
  /** Aborted at the end of the run: loops finish the unit in hand and return. */
  signal: AbortSignal;
}

/** The hello server's answer to every path: 200, Content-Length: 11, "Hello world" (no body for HEAD). */
export const HELLO_BODY = Buffer.from('Hello world');

/** A response's grounds for being wrong as the hello answer to method, or null when it is right byte for byte. */
export function helloMismatch(response: SoakResponse, method: string): string | null {
  if (response.status !== 200) return `status ${response.status} to ${method}, expected 200 (${describeBody(response)})`;
  if (response.headers.get('content-length') !== String(HELLO_BODY.length)) {
    return `Content-Length ${response.headers.get('content-length')} to ${method}, expected ${HELLO_BODY.length}`;
  }
  const expected = method === 'HEAD' ? Buffer.alloc(0) : HELLO_BODY;
  if (!response.body.equals(expected)) return `body ${describeBody(response)} to ${method}, expected ${JSON.stringify(expected.toString())}`;
  return null;
}

export function describeBody(response: SoakResponse): string {
  return JSON.stringify(response.body.subarray(0, 80).toString('latin1'));
}

/** Counts a connection lost where it should have worked: a reset as a reset, anything else as a wrong answer. */
export function recordLoss(ctx: LoadContext, cls: LoadClass, error: unknown): void {
  if (error instanceof ConnectionLost && error.kind === 'reset') ctx.tally.reset(cls, error.message);
  else if (error instanceof ConnectionLost) ctx.tally.wrong(cls, `${error.kind}: ${error.message}`);
  else throw error;
}

/**
 * Opens the next connection of a load loop and counts it; a connect that fails is recorded as a
 * loss, and after a 100 ms pause the loop gets null, to try again.
 */
export async function openConnection(ctx: LoadContext, cls: LoadClass): Promise<SoakConnection | null> {
  try {
    const conn = await SoakConnection.open(ctx.target);
    ctx.tally.connected(cls);
    return conn;
  } catch (error) {
    recordLoss(ctx, cls, error);
    await pause(100, ctx.signal);
    return null;
  }
}

/** One request head, with the given extra header lines (each ending CRLF). */
export function requestHead(method: string, path: string, extra = ''): string {
  return `${method} ${path} HTTP/1.1\r\nHost: soak\r\n${extra}\r\n`;
}

/** The longest a response may take on a loaded 2-core machine before it counts as lost: generous, it catches hangs only. */
export const RESPONSE_TIMEOUT_MS = 30_000;
