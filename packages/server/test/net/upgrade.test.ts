/**
 * Protocol upgrade on the net engine (RFC 9110 7.8, 15.2.2): a handler answers 101 and hands the
 * connection to its own Task, with every byte the client sent after the request, in order.
 */
import { expect } from 'chai';
import { isPercoreError } from '../../src/errors.js';
import type { Handler } from '../../src/http/api.js';
import { Task, type CloseReason, type TaskContext } from '../../src/scheduler/task.js';
import type { RawClient } from '../support/raw-client.js';
import { delay, startServer, useCleanup } from '../support/servers.js';
import { requireUws } from '../support/uws.js';
import { startEngine, useEngineCleanup, fetchFrom } from '../support/engines.js';

/** "linecase": answers each LF-terminated line upper-cased; keeps a partial line until its LF. */
class LinecaseTask extends Task {
  static readonly tasks: LinecaseTask[] = [];
  readonly closes: CloseReason[] = [];
  private partial = '';

  constructor(
    context: TaskContext,
    readonly head: Buffer,
  ) {
    super(context);
    LinecaseTask.tasks.push(this);
  }

  override onData(chunk: Buffer): void {
    const text = this.partial + chunk.toString('latin1');
    const last = text.lastIndexOf('\n');
    this.partial = text.slice(last + 1);
    if (last >= 0) this.write(text.slice(0, last + 1).toUpperCase());
  }

  override onClose(reason: CloseReason): void {
    this.closes.push(reason);
    this.onClosed?.();
  }

  private onClosed: (() => void) | undefined;

  /** Resolves once `task` has closed. */
  static closed(task: LinecaseTask): Promise<void> {
    if (task.closes.length > 0) return Promise.resolve();
    return new Promise((resolve) => (task.onClosed = resolve));
  }
}

const linecase = (context: TaskContext, head: Buffer) => new LinecaseTask(context, head);

const UPGRADE_REQUEST = 'GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: linecase\r\nConnection: Upgrade\r\n\r\n';
const SWITCHING = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: linecase\r\n\r\n';

/** Upgrades /x; answers anything else with "ok <path>". */
const upgrading: Handler = (req, res) => {
  if (req.path === '/x') res.upgrade('linecase', linecase);
  else res.end(`ok ${req.path}`);
};

/** Waits for exactly `expected` (latin1) in all, and nothing more shortly after. */
async function expectReceived(client: RawClient, expected: string): Promise<void> {
  await client.waitForBytes(expected.length);
  await delay(20);
  expect(client.received.toString('latin1')).to.equal(expected);
}

/** The text of a 200 "ok <path>" reply from the net engine, without its Date. */
function okReply(body: string): RegExp {
  return new RegExp(
    `^HTTP/1\\.1 200 OK\\r\\nDate: [^\\r]+\\r\\n(Server: [^\\r]+\\r\\n)?Content-Length: ${body.length}\\r\\nKeep-Alive: timeout=5\\r\\n\\r\\n${body}`,
  );
}

describe('net: protocol upgrade (res.upgrade)', () => {
  useCleanup();
  beforeEach(() => {
    LinecaseTask.tasks.length = 0;
  });

  it('answers 101 with exactly Connection and Upgrade, then speaks the new protocol', async () => {
    const server = await startServer(upgrading);
    const client = await server.connect();
    await client.write(UPGRADE_REQUEST);
    await expectReceived(client, SWITCHING);
    await client.write('hello\nwor');
    await client.write('ld\n');
    await expectReceived(client, `${SWITCHING}HELLO\nWORLD\n`);
    expect(LinecaseTask.tasks).to.have.length(1);
    expect(LinecaseTask.tasks[0]!.head.length).to.equal(0);
    expect(server.server.stats().connections).to.equal(1);
    client.destroy();
    await LinecaseTask.closed(LinecaseTask.tasks[0]!);
    expect(LinecaseTask.tasks[0]!.closes).to.deep.equal(['peer-closed']);
    expect(server.server.stats().connections).to.equal(0);
  });

  it('upgrades a request sent byte by byte', async () => {
    const server = await startServer(upgrading);
    const client = await server.connect();
    await client.writeBytewise(UPGRADE_REQUEST);
    await expectReceived(client, SWITCHING);
    await client.writeBytewise('ab\n');
    await expectReceived(client, `${SWITCHING}AB\n`);
  });

  it('gives protocol bytes sent in the same write as the request to the new task, in order', async () => {
    const server = await startServer(upgrading);
    const client = await server.connect();
    await client.write(`${UPGRADE_REQUEST}one\ntwo\nthr`);
    await expectReceived(client, `${SWITCHING}ONE\nTWO\n`);
    expect(LinecaseTask.tasks[0]!.head.toString()).to.equal('one\ntwo\nthr');
    await client.write('ee\n');
    await expectReceived(client, `${SWITCHING}ONE\nTWO\nTHREE\n`);
  });

  it('keeps bytes that arrive while an async handler decides, and hands them over', async () => {
    let release!: () => void;
    const decided = new Promise<void>((resolve) => (release = resolve));
    const server = await startServer(async (_req, res) => {
      await decided;
      res.upgrade('linecase', linecase);
    });
    const client = await server.connect();
    await client.write(UPGRADE_REQUEST);
    await client.write('GET / HTTP/1.1\r\n\r\n');
    await client.write('x\n');
    await delay(30);
    release();
    await expectReceived(client, `${SWITCHING}GET / HTTP/1.1\r\n\r\nX\n`);
  });

  it('tells the new task of a FIN that came before an async handler upgraded', async () => {
    let release!: () => void;
    const decided = new Promise<void>((resolve) => (release = resolve));
    const server = await startServer(async (_req, res) => {
      await decided;
      res.upgrade('linecase', linecase);
    });
    const client = await server.connect();
    await client.write(`${UPGRADE_REQUEST}last\n`);
    await client.end();
    await delay(30);
    release();
    expect(await client.waitForClose()).to.equal(true);
    expect(client.received.toString('latin1')).to.equal(`${SWITCHING}LAST\n`);
    await LinecaseTask.closed(LinecaseTask.tasks[0]!);
    expect(LinecaseTask.tasks[0]!.closes).to.deep.equal(['peer-closed']);
  });

  it('serves keep-alive requests before the upgrade on the same connection, pipelined or not', async () => {
    const server = await startServer(upgrading);
    const client = await server.connect();
    await client.write('GET /a HTTP/1.1\r\nHost: a\r\n\r\n');
    const first = await client.readResponse();
    expect(first.text).to.equal('ok /a');
    await client.write(`GET /b HTTP/1.1\r\nHost: a\r\n\r\n${UPGRADE_REQUEST}hi\n`);
    await client.waitForText('HI\n');
    const text = client.received.toString('latin1');
    const afterFirst = text.slice(first.raw.length);
    expect(afterFirst).to.match(okReply('ok /b'));
    expect(afterFirst.slice(afterFirst.indexOf('ok /b') + 5)).to.equal(`${SWITCHING}HI\n`);
    expect(LinecaseTask.tasks).to.have.length(1);
  });

  it('upgrades after a request body is read whole; bytes after the body go to the new task', async () => {
    const server = await startServer(async (req, res) => {
      const body = await req.text();
      res.upgrade('linecase', linecase, { 'X-Body': body });
    });
    const client = await server.connect();
    await client.write(`POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nUpgrade: linecase\r\nConnection: upgrade\r\n\r\nbodyafter\n`);
    await expectReceived(
      client,
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: linecase\r\nX-Body: body\r\n\r\nAFTER\n',
    );
  });

  it('sends 100 (Continue) before the 101 when the request also expects it (RFC 9110 7.8)', async () => {
    const server = await startServer(upgrading);
    const client = await server.connect();
    await client.write('GET /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nUpgrade: linecase\r\nConnection: Upgrade\r\n\r\nq\n');
    await expectReceived(client, `HTTP/1.1 100 Continue\r\n\r\n${SWITCHING}Q\n`);
  });

  it('sends no second 100 (Continue) when reading the body already sent one', async () => {
    const server = await startServer(async (req, res) => {
      await req.bytes();
      res.upgrade('linecase', linecase);
    });
    const client = await server.connect();
    await client.write(
      'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\nUpgrade: linecase\r\nConnection: Upgrade\r\n\r\n',
    );
    await client.waitForText('100 Continue');
    await client.write('..z\n');
    await expectReceived(client, `HTTP/1.1 100 Continue\r\n\r\n${SWITCHING}Z\n`);
  });

  describe('refusal: PERCORE_ERR_UPGRADE_NOT_REQUESTED, nothing sent, the exchange goes on', () => {
    /** Tries the upgrade, and answers 400 with the error code when refused. */
    const tryUpgrade: Handler = (_req, res) => {
      try {
        res.upgrade('linecase', linecase);
      } catch (error) {
        res.status = 400;
        res.end(isPercoreError(error) ? error.code : 'uncoded');
      }
    };
    const cases: Array<[string, string]> = [
      ['no Upgrade at all', 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n'],
      ['Upgrade without Connection: upgrade', 'GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: linecase\r\nConnection: keep-alive\r\n\r\n'],
      ['Connection: upgrade without Upgrade', 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n'],
      ['another protocol offered', 'GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: h2c, websocket\r\nConnection: Upgrade\r\n\r\n'],
      ['HTTP/1.0 (RFC 9110 7.8: Upgrade is ignored)', 'GET /x HTTP/1.0\r\nUpgrade: linecase\r\nConnection: Upgrade, keep-alive\r\n\r\n'],
      ['a body not yet received', 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nUpgrade: linecase\r\nConnection: Upgrade\r\n\r\n'],
    ];
    for (const [name, request] of cases) {
      it(name, async () => {
        const server = await startServer(tryUpgrade);
        const client = await server.connect();
        await client.write(request);
        const response = await client.readResponse();
        expect(response.status).to.equal(400);
        expect(response.text).to.equal('PERCORE_ERR_UPGRADE_NOT_REQUESTED');
        expect(LinecaseTask.tasks).to.have.length(0);
      });
    }

    it('accepts an offer with a version when the protocol names no version, in any case', async () => {
      const server = await startServer(tryUpgrade);
      const client = await server.connect();
      await client.write('GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: h2c, LineCase/2\r\nConnection: keep-alive, UPGRADE\r\n\r\n');
      await expectReceived(client, SWITCHING);
    });

    it('refuses an upgrade after the response started, and a protocol that is not a token', async () => {
      const codes: string[] = [];
      const server = await startServer((_req, res) => {
        for (const protocol of ['bad protocol', 'x/', '']) {
          try {
            res.upgrade(protocol, linecase);
          } catch (error) {
            codes.push(isPercoreError(error) ? error.code : 'uncoded');
          }
        }
        res.write('a');
        try {
          res.upgrade('linecase', linecase);
        } catch (error) {
          codes.push(isPercoreError(error) ? error.code : 'uncoded');
        }
        res.end();
      });
      const client = await server.connect();
      await client.write(UPGRADE_REQUEST);
      const response = await client.readResponse();
      expect(response.status).to.equal(200);
      expect(codes).to.deep.equal([
        'PERCORE_ERR_INVALID_RESPONSE_HEADER',
        'PERCORE_ERR_INVALID_RESPONSE_HEADER',
        'PERCORE_ERR_INVALID_RESPONSE_HEADER',
        'PERCORE_ERR_HEADERS_SENT',
      ]);
    });
  });
});

describe('uws: res.upgrade', () => {
  // Where no uWebSockets.js binary loads, skipped with the loader's reason.
  before(function () {
    requireUws(this);
  });
  useEngineCleanup();

  it('throws PERCORE_ERR_UPGRADE_UNSUPPORTED', async () => {
    const server = await startEngine('uws', (_req, res) => {
      try {
        res.upgrade('linecase', linecase);
        res.end('upgraded?');
      } catch (error) {
        res.status = 501;
        res.end(isPercoreError(error) ? error.code : 'uncoded');
      }
    });
    const response = await fetchFrom(server, '/x', { headers: { Upgrade: 'linecase', Connection: 'Upgrade' } });
    expect(response.status).to.equal(501);
    expect(response.body.toString()).to.equal('PERCORE_ERR_UPGRADE_UNSUPPORTED');
  });
});
