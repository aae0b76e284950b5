import type { CloseTimes } from './close-times.js';
import { between, pause, SoakConnection, within } from './connection.js';
import { openConnection, helloMismatch, recordLoss, type LoadContext } from './context.js';

const CLS = 'abort';
const DECLARED = 100_000;
/** A half-closed body must end the connection; the server's body timeout (30 s) is the latest it may take. */
export const HALF_CLOSE_LIMIT_MS = 40_000;
/** Half-closed connections in flight at once, per client: each may stay open until the body timeout. */
const HALF_CLOSES_IN_FLIGHT = 4;

/**
 * Aborts mid-body: a POST that declares Content-Length: 100000 and sends a part. Three ways, in turn:
 * destroy the socket 0-20 ms later (a reset while the server may be reading); wait for the answer
 * (the hello handler answers without reading the body), check it, then destroy; or half-close
 * (FIN mid-body), after which the server must close the connection within HALF_CLOSE_LIMIT_MS.
 * Half-closes run beside the loop; those still open when the run ends are not counted.
 */
export async function abortClient(ctx: LoadContext, halfCloses: CloseTimes): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let round = 0; !ctx.signal.aborted; round++) {
    const way = round % 3;
    if (way === 2 && inFlight.size >= HALF_CLOSES_IN_FLIGHT) continue;
    const conn = await openConnection(ctx, CLS);
    if (conn === null) continue;
    conn.write(`POST /abort HTTP/1.1\r\nHost: soak\r\nContent-Length: ${DECLARED}\r\n\r\n${'x'.repeat(between(0, 5_000))}`, ['POST']);
    if (way === 0) await destroyAfter(ctx, conn, between(0, 20));
    else if (way === 1) await answerThenDestroy(ctx, conn);
    else {
      const running = halfClose(ctx, conn, halfCloses).finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
    await pause(between(5, 25), ctx.signal);
  }
  await Promise.all(inFlight);
}

/** Whatever came before the destroy must be the hello answer; nothing coming is right too. */
async function destroyAfter(ctx: LoadContext, conn: SoakConnection, ms: number): Promise<void> {
  ctx.tally.sent(CLS);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const response = await conn.next(0).catch(() => null);
  conn.destroy();
  const why = response === null ? null : helloMismatch(response, 'POST');
  if (why === null) ctx.tally.correct(CLS);
  else ctx.tally.wrong(CLS, `destroyed after ${ms} ms: ${why}`);
}

async function answerThenDestroy(ctx: LoadContext, conn: SoakConnection): Promise<void> {
  ctx.tally.sent(CLS);
  try {
    const why = helloMismatch(await conn.next(10_000), 'POST');
    if (why === null) ctx.tally.correct(CLS);
    else ctx.tally.wrong(CLS, `answer before the body: ${why}`);
  } catch (error) {
    recordLoss(ctx, CLS, error);
  } finally {
    conn.destroy();
  }
}

/** With the body cut short by a FIN the request can never complete (RFC 9112 6.3: an incomplete message). */
async function halfClose(ctx: LoadContext, conn: SoakConnection, times: CloseTimes): Promise<void> {
  const started = Date.now();
  conn.socket.end();
  const ending = await within(conn.closed, HALF_CLOSE_LIMIT_MS, ctx.signal);
  conn.destroy();
  if (ending === null && ctx.signal.aborted) return;
  ctx.tally.sent(CLS);
  if (ending === null) return ctx.tally.wrong(CLS, `half-closed mid-body, still open after ${HALF_CLOSE_LIMIT_MS} ms`);
  // The answer, if one came before the close, must be the hello answer.
  const response = await conn.next(0).catch(() => null);
  const why = response === null ? null : helloMismatch(response, 'POST');
  if (why !== null) return ctx.tally.wrong(CLS, `half-closed mid-body: ${why}`);
  if (ending.how === 'error') return ctx.tally.reset(CLS, `half-closed mid-body: ${ending.code} after ${Date.now() - started} ms`);
  times.add(Date.now() - started);
  ctx.tally.correct(CLS);
}
