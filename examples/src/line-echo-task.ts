// A protocol of your own on the Task contract: a line-echo server, each LF-terminated line sent back.
// Run: PORT=7007 node --import tsx examples/src/line-echo-task.ts   then   nc 127.0.0.1 7007
// It shows the smallest Task subclass: a Scheduler, a Listener, the sated rule and an idle timeout.
import { fileURLToPath } from 'node:url';
import { Listener, Scheduler, Task, type TaskContext } from '@percore/server';

const LF = 0x0a;
/** The longest line kept while waiting for its LF; a longer one closes the connection. */
const MAX_LINE_BYTES = 8 * 1024;
const IDLE_TIMEOUT_MS = 30_000;

/**
 * Splits input into LF-terminated lines for `onLine`. A partial line is kept until its LF
 * arrives (the sated rule: every chunk is consumed, or its rest kept, never handed back).
 */
export abstract class LineTask extends Task {
  private rest: Buffer | null = null;

  abstract onLine(line: Buffer): void;

  override onData(chunk: Buffer): void {
    const data = this.rest === null ? chunk : Buffer.concat([this.rest, chunk]);
    this.rest = null;
    let start = 0;
    let end: number;
    while (!this.closed && (end = data.indexOf(LF, start)) !== -1) {
      this.onLine(data.subarray(start, end));
      start = end + 1;
    }
    if (this.closed || start === data.length) return;
    if (data.length - start > MAX_LINE_BYTES) return this.close();
    // Copy: the chunk's memory belongs to the socket once this call returns.
    this.rest = Buffer.from(data.subarray(start));
  }
}

/** Answers each line with itself; closes a connection idle for 30 s. */
export class LineEchoTask extends LineTask {
  constructor(context: TaskContext) {
    super(context);
    this.setTimeout(IDLE_TIMEOUT_MS);
  }

  override onLine(line: Buffer): void {
    this.setTimeout(IDLE_TIMEOUT_MS);
    this.write(line);
    this.write('\n');
  }
}

export const lineEchoFactory = (context: TaskContext) => new LineEchoTask(context);

// Run as a program (not when imported, as outbound-client.ts does): one scheduler, one listener.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scheduler = new Scheduler();
  const listener = new Listener(scheduler, { factory: lineEchoFactory });
  const address = await listener.listen({ port: Number(process.env.PORT ?? 7007), host: '127.0.0.1' });
  console.log(`listening on tcp://127.0.0.1:${address.port}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void listener.close({ graceMs: 1000 }).then(() => process.exit(0)));
  }
}
