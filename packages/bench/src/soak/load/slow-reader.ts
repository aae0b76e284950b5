import { between, SoakConnection } from './connection.js';
import { openConnection, helloMismatch, recordLoss, requestHead, RESPONSE_TIMEOUT_MS, type LoadContext } from './context.js';

const CLS = 'slow-reader';
/** Requests pipelined per connection: about 1 MB of answers, more than loopback buffers take, so the server meets backpressure. */
const DEPTH = 10_000;
/** One stall per connection, well under the keep-alive timeout (5 s), which applies to idle connections only. */
const STALL_MS = 2_000;

/**
 * A slow reader: pipelines DEPTH requests (GET and HEAD mixed), then reads one chunk at a time
 * with 20 to 200 ms pauses between chunks and one 2 s stall halfway, checking every answer in
 * order. The server must hold the rest (RFC 9112 9.3.2: answers in the order of the requests)
 * without dropping or reordering any, and without closing a connection that is being read.
 */
export async function slowReader(ctx: LoadContext): Promise<void> {
  while (!ctx.signal.aborted) {
    const conn = await openConnection(ctx, CLS);
    if (conn === null) continue;
    await readSlowly(ctx, conn);
    conn.destroy();
  }
}

async function readSlowly(ctx: LoadContext, conn: SoakConnection): Promise<void> {
  const methods = Array.from({ length: DEPTH }, () => (Math.random() < 0.2 ? 'HEAD' : 'GET'));
  const socket = conn.socket;
  let timer: NodeJS.Timeout | undefined;
  let stalled = false;
  let answered = 0;
  socket.pause();
  socket.on('data', () => {
    socket.pause();
    const ms = !stalled && answered >= DEPTH / 2 ? STALL_MS : between(20, 200);
    if (ms === STALL_MS) stalled = true;
    timer = setTimeout(() => socket.resume(), ms);
  });
  conn.write(methods.map((m, i) => requestHead(m, `/slow/${i}`)).join(''), methods);
  ctx.tally.sent(CLS, DEPTH);
  socket.resume();
  try {
    for (; answered < DEPTH; answered++) {
      const why = helloMismatch(await conn.next(RESPONSE_TIMEOUT_MS), methods[answered]!);
      if (why !== null) {
        ctx.tally.wrong(CLS, `answer ${answered + 1} of ${DEPTH}: ${why}`);
        return;
      }
      ctx.tally.correct(CLS);
    }
  } catch (error) {
    recordLoss(ctx, CLS, error);
  } finally {
    clearTimeout(timer);
  }
}
