import { between, SoakConnection, within } from './connection.js';
import { openConnection, helloMismatch, recordLoss, requestHead, RESPONSE_TIMEOUT_MS, type LoadContext } from './context.js';

const CLS = 'pipeline';

/**
 * A pipelining client: writes batches of 2 to 32 requests at once, GET and HEAD mixed at random,
 * and checks the answers in order (a HEAD answer has no body, so an answer out of order breaks
 * the framing or the body check). 20 batches a connection, then it half-closes and reconnects.
 */
export async function pipelineClient(ctx: LoadContext): Promise<void> {
  while (!ctx.signal.aborted) {
    const conn = await openConnection(ctx, CLS);
    if (conn === null) continue;
    await batches(ctx, conn);
    conn.socket.end();
    await within(conn.closed, 5_000);
    conn.destroy();
  }
}

async function batches(ctx: LoadContext, conn: SoakConnection): Promise<void> {
  for (let batch = 0; batch < 20 && !ctx.signal.aborted; batch++) {
    const methods = Array.from({ length: between(2, 32) }, () => (Math.random() < 0.3 ? 'HEAD' : 'GET'));
    conn.write(methods.map((m, i) => requestHead(m, `/pipe/${batch}/${i}`)).join(''), methods);
    ctx.tally.sent(CLS, methods.length);
    for (let i = 0; i < methods.length; i++) {
      try {
        const why = helloMismatch(await conn.next(RESPONSE_TIMEOUT_MS), methods[i]!);
        if (why !== null) {
          ctx.tally.wrong(CLS, `answer ${i + 1} of a batch of ${methods.length} (${methods.join(',')}): ${why}`);
          return;
        }
        ctx.tally.correct(CLS);
      } catch (error) {
        recordLoss(ctx, CLS, error);
        return;
      }
    }
  }
}
