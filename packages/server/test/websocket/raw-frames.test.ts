import { expect } from 'chai';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { ErrorCode } from '../../src/errors.js';
import { NetEngine } from '../../src/net/engine.js';
import type { WebSocketBehavior, WebSocketConnection } from '../../src/websocket/api.js';
import { delay, destroyAllClients, RawClient } from '../support/raw-client.js';
import { clientFrame, clientFrames, type ClientFrame } from './frames.js';

/**
 * RFC 6455 on the wire, net engine: a hand-written handshake, then client frames, good and bad,
 * and what the server sends back (its unmasked frames, parsed from the bytes received) and when
 * it closes the TCP connection.
 */

// ---- Helpers ------------------------------------------------------------------------------

/** RFC 6455 1.3's sample key and its accept value. */
const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

const Op = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

interface ServerFrame {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** Every whole frame at the start of `bytes` (RFC 6455 5.2); a partial one at the end is left. */
function parseServerFrames(bytes: Buffer): ServerFrame[] {
  const frames: ServerFrame[] = [];
  let pos = 0;
  for (;;) {
    if (bytes.length < pos + 2) return frames;
    const b0 = bytes[pos]!;
    const b1 = bytes[pos + 1]!;
    let length = b1 & 0x7f;
    let offset = pos + 2;
    if (length === 126) {
      if (bytes.length < offset + 2) return frames;
      length = bytes.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (bytes.length < offset + 8) return frames;
      length = Number(bytes.readBigUInt64BE(offset));
      offset += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    if (masked) offset += 4;
    if (bytes.length < offset + length) return frames;
    frames.push({
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      rsv2: (b0 & 0x20) !== 0,
      rsv3: (b0 & 0x10) !== 0,
      opcode: b0 & 0x0f,
      masked,
      payload: Buffer.from(bytes.subarray(offset, offset + length)),
    });
    pos = offset + length;
  }
}

/** An opening handshake (RFC 6455 4.1), written by hand. */
function upgradeRequest(path: string, extra: Record<string, string> = {}): string {
  const headers: Record<string, string> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': SAMPLE_KEY,
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

/** A close frame's payload as a client sends it: the code, then the reason's bytes. */
function closeBody(code: number, reason: Buffer | string = ''): Buffer {
  const code16 = Buffer.alloc(2);
  code16.writeUInt16BE(code);
  return Buffer.concat([code16, typeof reason === 'string' ? Buffer.from(reason) : reason]);
}

/** A raw WebSocket client: the 101 checked, then the server's frames read in order. */
class WireClient {
  private taken = 0;

  private constructor(
    readonly raw: RawClient,
    readonly headers: Record<string, string>,
    private readonly headLength: number,
  ) {}

  /** Connects, sends the handshake (and `after`, in the same write), and checks the 101 (RFC 6455 4.2.2). */
  static async open(port: number, path: string, extra: Record<string, string> = {}, after?: Buffer): Promise<WireClient> {
    const raw = await RawClient.connect(port);
    const request = Buffer.from(upgradeRequest(path, extra), 'latin1');
    await raw.write(after === undefined ? request : Buffer.concat([request, after]));
    const response = await raw.readResponse();
    expect(response.status, response.text).to.equal(101);
    expect(response.headers['upgrade']?.toLowerCase()).to.equal('websocket');
    expect(response.headers['connection']?.toLowerCase()).to.equal('upgrade');
    expect(response.headers['sec-websocket-accept']).to.equal(SAMPLE_ACCEPT);
    return new WireClient(raw, response.headers, response.raw.length);
  }

  /** Every whole frame received so far. */
  frames(): ServerFrame[] {
    return parseServerFrames(this.raw.received.subarray(this.headLength));
  }

  /** The next frame not yet taken; fails after the deadline or if the server closes without one. */
  async next(what = 'a frame', timeoutMs = 3000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frames = this.frames();
      if (frames.length > this.taken) {
        const frame = frames[this.taken++]!;
        expect(frame.masked, 'a server frame is not masked (RFC 6455 5.1)').to.equal(false);
        return frame;
      }
      if (this.raw.serverClosed) throw new Error(`the server closed without ${what}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await delay(2);
    }
  }

  /** The next frame, which must be a whole text message. */
  async text(): Promise<string> {
    const frame = await this.next('a text message');
    expect(frame.opcode, 'a text frame').to.equal(Op.Text);
    expect(frame.fin).to.equal(true);
    return frame.payload.toString();
  }

  /** The next frame, which must be a close frame: its code and reason. */
  async closeFrame(): Promise<{ code: number; reason: string }> {
    const frame = await this.next('a close frame');
    expect(frame.opcode, `a close frame, not ${frame.opcode}`).to.equal(Op.Close);
    expect(frame.payload.length).to.be.at.least(2);
    return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString() };
  }

  /** The server fails the connection: a close frame with `code` (RFC 6455 7.1.7), then the TCP close. */
  async expectFailure(code: number): Promise<void> {
    expect((await this.closeFrame()).code).to.equal(code);
    expect(await this.raw.waitForClose(3000), 'the server closes the TCP connection').to.equal(true);
    expect(this.frames().length, 'nothing after the close frame').to.equal(this.taken);
  }

  send(...frames: ClientFrame[]): Promise<void> {
    return this.raw.write(clientFrames(...frames));
  }
}

const servers: NetEngine[] = [];

interface Started {
  port: number;
  logged: ErrorCode[];
}

async function start(routes: Record<string, WebSocketBehavior<any>>): Promise<Started> {
  const logged: ErrorCode[] = [];
  const logger = { error: (code: ErrorCode) => logged.push(code) };
  const server = new NetEngine({ websockets: routes, handler: (_req, res) => res.end('http'), logger, scheduler: { timerResolutionMs: 10 } });
  servers.push(server);
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  return { port, logged };
}

const echo: WebSocketBehavior = { message: (socket, message, isBinary) => void socket.send(message, isBinary) };

/** Starts an echo server on '/echo' and opens a client on it. */
async function echoClient(behavior: WebSocketBehavior<any> = echo): Promise<WireClient> {
  const { port } = await start({ '/echo': behavior });
  return WireClient.open(port, '/echo');
}

// ---- Tests --------------------------------------------------------------------------------

describe('net: WebSocket frames on the wire', function () {
  this.timeout(10_000);

  afterEach(async () => {
    destroyAllClients();
    await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
  });

  describe('the handshake', () => {
    it('answers the RFC 6455 1.3 sample key with its accept value, and echoes a message', async () => {
      const client = await echoClient();
      await client.send({ opcode: Op.Text, payload: 'hello' });
      expect(await client.text()).to.equal('hello');
    });
  });

  describe('protocol errors close with 1002 (RFC 6455 7.4.1)', () => {
    const cases: [string, Buffer][] = [
      ['an unmasked client frame (5.1)', clientFrame({ opcode: Op.Text, payload: 'hi', masked: false })],
      ['RSV1 without permessage-deflate (5.2)', clientFrame({ opcode: Op.Text, payload: 'hi', rsv1: true })],
      ['RSV2 (5.2)', clientFrame({ opcode: Op.Text, payload: 'hi', rsv2: true })],
      ['RSV3 (5.2)', clientFrame({ opcode: Op.Binary, payload: 'hi', rsv3: true })],
      ['reserved data opcode 3 (5.2)', clientFrame({ opcode: 3, payload: 'hi' })],
      ['reserved control opcode 0xB (5.2)', clientFrame({ opcode: 0xb, payload: 'hi' })],
      ['a ping of 126 bytes (5.5)', clientFrame({ opcode: Op.Ping, payload: Buffer.alloc(126, 0x61) })],
      ['a fragmented ping (5.5)', clientFrame({ opcode: Op.Ping, payload: 'p', fin: false })],
      ['a continuation with no message started (5.4)', clientFrame({ opcode: Op.Continuation, payload: 'hi' })],
      [
        'a new text frame inside a fragmented message (5.4)',
        clientFrames({ opcode: Op.Text, payload: 'hel', fin: false }, { opcode: Op.Text, payload: 'lo' }),
      ],
      ['a close frame with a 1-byte payload (5.5.1)', clientFrame({ opcode: Op.Close, payload: Buffer.from([0x03]) })],
      ...[1005, 1006, 999, 2000, 1004].map((code): [string, Buffer] => [
        `close code ${code} (7.4.2)`,
        clientFrame({ opcode: Op.Close, payload: closeBody(code) }),
      ]),
    ];
    for (const [name, bytes] of cases) {
      it(name, async () => {
        const closes: number[] = [];
        const client = await echoClient({ ...echo, close: (_socket, code) => closes.push(code) });
        await client.raw.write(bytes);
        await client.expectFailure(1002);
        expect(closes).to.deep.equal([1002]);
      });
    }
  });

  describe('fragments and control frames between them (RFC 6455 5.4)', () => {
    it('answers a ping between fragments with a pong of the same payload, and delivers the message whole', async () => {
      const client = await echoClient();
      await client.send(
        { opcode: Op.Text, payload: 'frag', fin: false },
        { opcode: Op.Ping, payload: 'between' },
        { opcode: Op.Continuation, payload: 'men', fin: false },
        { opcode: Op.Continuation, payload: 'ted' },
      );
      const pong = await client.next('the pong');
      expect(pong.opcode).to.equal(Op.Pong);
      expect(pong.payload.toString()).to.equal('between');
      expect(await client.text()).to.equal('fragmented');
    });
  });

  describe('UTF-8 (RFC 6455 8.1): invalid text closes with 1007', () => {
    it('delivers a character split across fragments (a control for the cases below)', async () => {
      const client = await echoClient();
      // '€' is E2 82 AC.
      await client.send(
        { opcode: Op.Text, payload: Buffer.from([0xe2, 0x82]), fin: false },
        { opcode: Op.Continuation, payload: Buffer.from([0xac]) },
      );
      expect(await client.text()).to.equal('€');
    });

    const cases: [string, ClientFrame[]][] = [
      ['in one frame', [{ opcode: Op.Text, payload: Buffer.from([0x61, 0xff, 0x62]) }]],
      [
        'a sequence split across fragments',
        [
          { opcode: Op.Text, payload: Buffer.from([0x61, 0xe2, 0x82]), fin: false },
          { opcode: Op.Continuation, payload: Buffer.from([0x28]) },
        ],
      ],
      [
        'the bad byte in a later fragment',
        [
          { opcode: Op.Text, payload: 'all fine ', fin: false },
          { opcode: Op.Continuation, payload: 'so far ', fin: false },
          { opcode: Op.Continuation, payload: Buffer.from([0xc0, 0xaf]) },
        ],
      ],
      ['a close reason', [{ opcode: Op.Close, payload: closeBody(1000, Buffer.from([0x62, 0xff])) }]],
    ];
    for (const [name, frames] of cases) {
      it(name, async () => {
        const messages: Buffer[] = [];
        const client = await echoClient({ message: (_socket, message) => void messages.push(message) });
        await client.send(...frames);
        await client.expectFailure(1007);
        expect(messages).to.deep.equal([]);
      });
    }
  });

  describe('maxPayloadLength', () => {
    it('closes with 1009 on the header alone, before any payload is sent (RFC 6455 7.4.1)', async () => {
      const messages: Buffer[] = [];
      const { port } = await start({ '/small': { maxPayloadLength: 1024, message: (_socket, message) => void messages.push(message) } });
      const client = await WireClient.open(port, '/small');
      // The header of a 1 MB binary frame, with its mask key, and not one byte of its payload.
      await client.raw.write(clientFrame({ opcode: Op.Binary, declaredLength: 1_000_000, lengthBits: 64 }));
      await client.expectFailure(1009);
      expect(messages).to.deep.equal([]);
    });

    it('counts the fragments of a message together', async () => {
      const { port } = await start({ '/small': { ...echo, maxPayloadLength: 10 } });
      const client = await WireClient.open(port, '/small');
      await client.send({ opcode: Op.Text, payload: '123456', fin: false }, { opcode: Op.Continuation, payload: '78901' });
      await client.expectFailure(1009);
    });
  });

  describe('the close handshake (RFC 6455 5.5.1, 7.1.1)', () => {
    it('echoes the client’s close 1000 and closes the TCP connection first', async () => {
      const closes: [number, string][] = [];
      const client = await echoClient({ ...echo, close: (_socket, code, reason) => closes.push([code, reason]) });
      await client.send({ opcode: Op.Close, payload: closeBody(1000, 'done') });
      expect((await client.closeFrame()).code).to.equal(1000);
      // The client never sent FIN: the server's FIN comes first, and it is a FIN, not a reset.
      expect(await client.raw.waitForClose(3000)).to.equal(true);
      expect(client.raw.error).to.equal(null);
      expect(closes).to.deep.equal([[1000, 'done']]);
    });

    it('echoes a close frame with no code as one with no code (1005 to the handler)', async () => {
      const closes: number[] = [];
      const client = await echoClient({ ...echo, close: (_socket, code) => closes.push(code) });
      await client.send({ opcode: Op.Close });
      const frame = await client.next('the close frame');
      expect(frame.opcode).to.equal(Op.Close);
      expect(frame.payload.length).to.equal(0);
      expect(await client.raw.waitForClose(3000)).to.equal(true);
      expect(closes).to.deep.equal([1005]);
    });

    it('sends socket.close(4000, "bye") as a close frame, and closes TCP once the client answers', async () => {
      let socket: WebSocketConnection | null = null;
      const client = await echoClient({ ...echo, open: (opened) => void (socket = opened) });
      await client.send({ opcode: Op.Text, payload: 'ready?' });
      expect(await client.text()).to.equal('ready?');
      socket!.close(4000, 'bye');
      expect(await client.closeFrame()).to.deep.equal({ code: 4000, reason: 'bye' });
      // Waiting for the client's close frame (its timeout is 5 s): the connection stays open until then.
      expect(await client.raw.waitForClose(200)).to.equal(false);
      await client.send({ opcode: Op.Close, payload: closeBody(4000) });
      expect(await client.raw.waitForClose(3000)).to.equal(true);
      expect(client.raw.error).to.equal(null);
      expect(client.frames().length, 'nothing after the close frame').to.equal(2);
    });

    it('sends nothing but the close frame after a close, even to a message that crossed it', async () => {
      const client = await echoClient();
      await client.send({ opcode: Op.Close, payload: closeBody(1000) }, { opcode: Op.Text, payload: 'too late' });
      expect((await client.closeFrame()).code).to.equal(1000);
      expect(await client.raw.waitForClose(3000)).to.equal(true);
      expect(client.frames().map((frame) => frame.opcode)).to.deep.equal([Op.Close]);
    });
  });

  describe('bytes as they arrive', () => {
    it('delivers frames sent in the same write as the handshake (the hand-over’s head)', async () => {
      const { port } = await start({ '/echo': echo });
      const after = clientFrames({ opcode: Op.Text, payload: 'first' }, { opcode: Op.Binary, payload: Buffer.from([1, 2, 3]) });
      const client = await WireClient.open(port, '/echo', {}, after);
      expect(await client.text()).to.equal('first');
      const binary = await client.next();
      expect(binary.opcode).to.equal(Op.Binary);
      expect([...binary.payload]).to.deep.equal([1, 2, 3]);
    });

    it('delivers 100 frames pipelined in one write, in order', async () => {
      const client = await echoClient();
      const frames = Array.from({ length: 100 }, (_, i): ClientFrame => ({ opcode: Op.Text, payload: `message ${i}` }));
      await client.send(...frames);
      for (let i = 0; i < 100; i++) expect(await client.text()).to.equal(`message ${i}`);
    });

    it('delivers frames sent one byte at a time, with small delays', async () => {
      const client = await echoClient();
      const bytes = clientFrames(
        { opcode: Op.Text, payload: 'one' },
        { opcode: Op.Text, payload: 'tw', fin: false },
        { opcode: Op.Continuation, payload: 'o' },
        { opcode: Op.Binary, payload: Buffer.alloc(130, 7) },
      );
      await client.raw.writeBytewise(bytes, 1);
      expect(await client.text()).to.equal('one');
      expect(await client.text()).to.equal('two');
      const binary = await client.next();
      expect(binary.opcode).to.equal(Op.Binary);
      expect(binary.payload.equals(Buffer.alloc(130, 7))).to.equal(true);
    });
  });

  describe('permessage-deflate (RFC 7692)', () => {
    const extensions = { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' };

    /** A message compressed as RFC 7692 7.2.1 says: deflate, flushed, without the 00 00 FF FF tail. */
    function compressed(message: Buffer): Buffer {
      const out = deflateRawSync(message, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
      expect(out.subarray(-4).equals(DEFLATE_TAIL)).to.equal(true);
      return out.subarray(0, -4);
    }

    it('delivers a compressed client message decompressed', async () => {
      const messages: string[] = [];
      const { port } = await start({
        '/deflate': {
          compression: true,
          message: (socket, message, isBinary) => void (messages.push(message.toString()), socket.send(message, isBinary)),
        },
      });
      const client = await WireClient.open(port, '/deflate', extensions);
      expect(client.headers['sec-websocket-extensions']).to.match(/^permessage-deflate\b/);
      const text = 'compress me, '.repeat(50);
      await client.send({ opcode: Op.Text, payload: compressed(Buffer.from(text)), rsv1: true });
      expect(await client.text()).to.equal(text);
      expect(messages).to.deep.equal([text]);
    });

    it('closes with 1009 on a compressed message that inflates past maxPayloadLength (a zip bomb)', async () => {
      const messages: Buffer[] = [];
      const { port } = await start({
        '/deflate': { compression: true, maxPayloadLength: 64 * 1024, message: (_socket, message) => void messages.push(message) },
      });
      const client = await WireClient.open(port, '/deflate', extensions);
      const bomb = compressed(Buffer.alloc(10 * 1024 * 1024));
      expect(bomb.length).to.be.below(64 * 1024);
      await client.send({ opcode: Op.Binary, payload: bomb, rsv1: true });
      await client.expectFailure(1009);
      expect(messages).to.deep.equal([]);
    });

    it('sends a 4 KiB message with compress: true as one frame with RSV1 that inflates back to it', async () => {
      const message = Array.from({ length: 256 }, (_, i) => `line ${String(i).padStart(4, '0')} `)
        .join('')
        .slice(0, 4096);
      const { port } = await start({ '/deflate': { compression: true, message: (socket) => void socket.send(message, false, true) } });
      const client = await WireClient.open(port, '/deflate', extensions);
      await client.send({ opcode: Op.Text, payload: 'go' });
      const frame = await client.next('the compressed message');
      expect(frame.opcode).to.equal(Op.Text);
      expect(frame.fin).to.equal(true);
      expect(frame.rsv1, 'RSV1: compressed (RFC 7692 6)').to.equal(true);
      expect(frame.payload.length).to.be.below(4096);
      expect(inflateRawSync(Buffer.concat([frame.payload, DEFLATE_TAIL]), { finishFlush: 2 /* Z_SYNC_FLUSH */ }).toString()).to.equal(
        message,
      );
    });

    it('leaves RSV1 an error where the handshake did not negotiate permessage-deflate', async () => {
      const { port } = await start({ '/deflate': { ...echo, compression: true } });
      const client = await WireClient.open(port, '/deflate');
      expect(client.headers['sec-websocket-extensions']).to.equal(undefined);
      await client.send({ opcode: Op.Text, payload: compressed(Buffer.from('hello')), rsv1: true });
      await client.expectFailure(1002);
    });
  });
});
