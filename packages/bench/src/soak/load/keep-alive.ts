import { between, within } from './connection.js';
import { openConnection, helloMismatch, recordLoss, requestHead, RESPONSE_TIMEOUT_MS, type LoadContext } from './context.js';

const CLS = 'keep-alive';

/**
 * One keep-alive client: connects, sends 50 to 500 sequential requests (a tenth of them HEAD),
 * checks every answer byte for byte, and ends with `Connection: close`, after which the server
 * must close (RFC 9112 9.6). Then it connects again, until the run ends.
 */
export async function keepAliveClient(ctx: LoadContext): Promise<void> {
  while (!ctx.signal.aborted) {
    const conn = await openConnection(ctx, CLS);
    if (conn === null) continue;
    const count = between(50, 500);
    let closeSent = false;
    let healthy = true;
    for (let i = 0; i < count && !ctx.signal.aborted; i++) {
      const method = Math.random() < 0.1 ? 'HEAD' : 'GET';
      closeSent = i === count - 1;
      conn.write(requestHead(method, `/ka/${i}?n=${count}`, closeSent ? 'Connection: close\r\n' : ''), [method]);
      ctx.tally.sent(CLS);
      try {
        const why = helloMismatch(await conn.next(RESPONSE_TIMEOUT_MS), method);
        if (why === null) ctx.tally.correct(CLS);
        else {
          ctx.tally.wrong(CLS, `request ${i + 1} of ${count}: ${why}`);
          healthy = false;
          break;
        }
      } catch (error) {
        recordLoss(ctx, CLS, error);
        healthy = false;
        break;
      }
    }
    if (healthy && closeSent) {
      const ending = await within(conn.closed, RESPONSE_TIMEOUT_MS, ctx.signal);
      if (ending === null && !ctx.signal.aborted) ctx.tally.wrong(CLS, 'the server kept the connection open after Connection: close');
      else if (ending !== null && ending.how === 'error') ctx.tally.reset(CLS, `${ending.code} instead of a close after Connection: close`);
    }
    conn.destroy();
  }
}
