import { SoakConnection, within } from './connection.js';
import { openConnection, type LoadContext } from './context.js';

const CLS = 'slowloris';
const TRICKLE_MS = 300;
/** The server's header timeout is 10 s by default; past this the connection counts as hung. */
export const SLOWLORIS_LIMIT_MS = 25_000;

import type { CloseTimes } from './close-times.js';

/**
 * A slowloris trickle: a request head sent a byte every 300 ms, never finished. The server must
 * answer 408 and close, or close (RFC 9110 15.5.9), within SLOWLORIS_LIMIT_MS. A reset counts as
 * a close here: the server's close races the next trickled byte, which then meets a reset.
 * A trickle still running when the run ends is not counted.
 */
export async function slowlorisClient(ctx: LoadContext, times: CloseTimes): Promise<void> {
  while (!ctx.signal.aborted) {
    const conn = await openConnection(ctx, CLS);
    if (conn === null) continue;
    await trickle(ctx, conn, times);
    conn.destroy();
  }
}

async function trickle(ctx: LoadContext, conn: SoakConnection, times: CloseTimes): Promise<void> {
  const head = Buffer.from(`GET /slowloris HTTP/1.1\r\nHost: soak\r\nX-Trickle: ${'a'.repeat(4096)}`);
  const started = Date.now();
  conn.reader.expect('GET');
  let sent = 0;
  const timer = setInterval(() => {
    if (conn.received > 0 || conn.ended !== null || conn.socket.writableEnded) return;
    conn.socket.write(head.subarray(sent % head.length, (sent % head.length) + 1));
    sent++;
  }, TRICKLE_MS);
  const outcome = await within(conn.closed, SLOWLORIS_LIMIT_MS, ctx.signal);
  clearInterval(timer);
  if (outcome === null && ctx.signal.aborted) return;
  ctx.tally.sent(CLS);
  const elapsed = Date.now() - started;
  if (outcome === null) return ctx.tally.wrong(CLS, `a trickled head still open after ${elapsed} ms (${sent} bytes sent)`);
  const response = await conn.next(0).catch(() => null);
  if (response !== null && response.status !== 408) return ctx.tally.wrong(CLS, `status ${response.status} to a trickled head, expected 408`);
  if (response === null && conn.reader.partial > 0) return ctx.tally.wrong(CLS, `a partial answer to a trickled head`);
  times.add(elapsed);
  ctx.tally.correct(CLS);
}
