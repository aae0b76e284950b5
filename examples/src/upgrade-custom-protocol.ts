// An HTTP handler that switches the connection to a protocol of its own (RFC 9110 7.8): a request
// with `Upgrade: reverse` and `Connection: Upgrade` gets 101 Switching Protocols, and from then on
// the socket belongs to ReverseTask, which answers each LF-terminated line reversed.
// Run: PORT=7008 node --import tsx examples/src/upgrade-custom-protocol.ts
//   then: printf 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: reverse\r\nConnection: Upgrade\r\n\r\nhello\n' | nc 127.0.0.1 7008
import { createServer, isPercoreError, Task, type TaskContext } from '@percore/server';

const LF = 0x0a;
const MAX_LINE_BYTES = 8 * 1024;

/** The "reverse" protocol: each line back, reversed; "bye" closes. Bytes the client sent right after the upgrade request come first. */
class ReverseTask extends Task {
  private rest: Buffer | null = null;

  constructor(context: TaskContext) {
    super(context);
    this.write('reverse ready\n');
  }

  override onData(chunk: Buffer): void {
    const data = this.rest === null ? chunk : Buffer.concat([this.rest, chunk]);
    this.rest = null;
    let start = 0;
    let end: number;
    while (!this.closed && (end = data.indexOf(LF, start)) !== -1) {
      const line = data.toString('utf8', start, end);
      start = end + 1;
      if (line === 'bye') this.halfClose();
      else this.write(`${[...line].reverse().join('')}\n`);
    }
    if (this.closed || start === data.length) return;
    if (data.length - start > MAX_LINE_BYTES) return this.close();
    // Keep the partial line (a copy: the chunk's memory is the socket's once this returns).
    this.rest = Buffer.from(data.subarray(start));
  }
}

const server = createServer({
  engine: 'net',
  handler: (req, res) => {
    try {
      // The head bytes need no handling of their own: the hand-over feeds them to onData first.
      res.upgrade('reverse', (context) => new ReverseTask(context));
    } catch (error) {
      if (!isPercoreError(error) || error.code !== 'PERCORE_ERR_UPGRADE_NOT_REQUESTED') throw error;
      // RFC 9110 15.5.22: 426 says which protocol to upgrade to.
      res.status = 426;
      res.setHeader('Upgrade', 'reverse').setHeader('Connection', 'Upgrade');
      res.end(`${req.method} ${req.path}: this server speaks "reverse"; send Upgrade: reverse and Connection: Upgrade\n`);
    }
  },
});

await server.listen({ port: Number(process.env.PORT ?? 8080), host: '127.0.0.1' });
console.log(`listening on ${server.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close({ graceMs: 0 }).then(() => process.exit(0)));
}
