// An outbound Task: scheduler.connect makes a client Task on a socket it opens, with the same
// contract as the server's tasks. It starts the line-echo server, sends it lines, prints the echoes,
// then shows a refused connection as a coded error, and exits 0.
// Run: node --import tsx examples/src/outbound-client.ts
import { Listener, PercoreError, Scheduler, type CloseReason, type TaskContext } from '@percore/server';
import { lineEchoFactory, LineTask } from './line-echo-task.js';

/** Sends its lines at once, collects the echoes, and half-closes once every line came back. */
class LineClientTask extends LineTask {
  readonly echoes: string[] = [];
  private finish!: (reason: CloseReason) => void;
  /** Resolves with the reason once the task has closed. */
  readonly finished = new Promise<CloseReason>((resolve) => (this.finish = resolve));

  constructor(
    context: TaskContext,
    private readonly lines: readonly string[],
  ) {
    super(context);
    this.setTimeout(5000); // the echo server must answer within 5 s
    for (const line of lines) this.write(`${line}\n`);
  }

  override onLine(line: Buffer): void {
    this.echoes.push(line.toString());
    console.log(`echo: ${line.toString()}`);
    if (this.echoes.length === this.lines.length) this.halfClose();
  }

  override onClose(reason: CloseReason): void {
    this.finish(reason);
  }
}

const scheduler = new Scheduler();
const listener = new Listener(scheduler, { factory: lineEchoFactory });
const { port } = await listener.listen({ port: 0, host: '127.0.0.1' });
console.log(`line-echo server on tcp://127.0.0.1:${port}`);

// Resolves once connected; the task then runs on the scheduler like any inbound one.
const client = await scheduler.connect(
  { host: '127.0.0.1', port },
  (context) => new LineClientTask(context, ['hello', 'from an outbound task', 'bye']),
  { timeoutMs: 2000 },
);
const reason = await client.finished;
console.log(`client closed: ${reason}, ${client.echoes.length} echoes`);
await listener.close({ graceMs: 1000 });

// Nothing listens on the port now: the connection is refused, with a catalog code.
try {
  await scheduler.connect({ host: '127.0.0.1', port }, (context) => new LineClientTask(context, []));
  console.log('unexpected: connected to a closed port');
  process.exitCode = 1;
} catch (error) {
  console.log(`refused: ${error instanceof PercoreError ? error.code : String(error)}`);
  if (!(error instanceof PercoreError) || error.code !== 'PERCORE_ERR_CONNECT_REFUSED') process.exitCode = 1;
}
