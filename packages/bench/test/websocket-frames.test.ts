import { expect } from 'chai';
import { acceptFor, checkHandshakeResponse, handshakeRequest } from '../src/websocket/client.js';
import {
  FrameDecoder,
  FrameError,
  maskedFrame,
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_PING,
  OPCODE_TEXT,
  textPayload,
} from '../src/websocket/frames.js';

interface Seen {
  opcode: number;
  fin: boolean;
  payload: string | undefined;
  length: number;
}

/** A server frame (unmasked), as RFC 6455 5.2 lays it out. */
function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, length])
      : length < 0x10000
        ? Buffer.from([(fin ? 0x80 : 0) | opcode, 126, length >> 8, length & 0xff])
        : Buffer.from([(fin ? 0x80 : 0) | opcode, 127, 0, 0, 0, 0, 0, 0, 0, 0]);
  if (length >= 0x10000) head.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([head, payload]);
}

function decodeAll(chunks: Buffer[], keepPayload = true): Seen[] {
  const seen: Seen[] = [];
  const decoder = new FrameDecoder(
    (opcode, fin, payload, length) => seen.push({ opcode, fin, payload: payload?.toString('latin1'), length }),
    keepPayload,
  );
  for (const chunk of chunks) decoder.push(chunk);
  return seen;
}

const byteByByte = (bytes: Buffer) => [...bytes].map((b) => Buffer.from([b]));

/** Undoes a client frame's masking (RFC 6455 5.3), checking the header on the way. */
function unmask(frame: Buffer): { opcode: number; fin: boolean; payload: Buffer } {
  expect(frame[1]! & 0x80, 'MASK bit').to.equal(0x80);
  let length = frame[1]! & 0x7f;
  let at = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    length = Number(frame.readBigUInt64BE(2));
    at = 10;
  }
  const mask = frame.subarray(at, at + 4);
  const data = frame.subarray(at + 4);
  expect(data.length).to.equal(length);
  return { opcode: frame[0]! & 0x0f, fin: (frame[0]! & 0x80) !== 0, payload: Buffer.from(data.map((b, i) => b ^ mask[i & 3]!)) };
}

describe('websocket bench: client frames', () => {
  it('masks a short text frame as RFC 6455 5.7 shows it ("Hello", key 37 fa 21 3d)', () => {
    expect(maskedFrame(OPCODE_TEXT, Buffer.from('Hello')).toString('hex')).to.equal('818537fa213d7f9f4d5158');
  });

  for (const size of [0, 1, 125, 126, 65_535, 65_536]) {
    it(`encodes a ${size}-byte payload with the right length form, and it unmasks to the payload`, () => {
      const payload = textPayload(size);
      const frame = maskedFrame(OPCODE_BINARY, payload, Buffer.from([1, 2, 3, 4]));
      const headerBytes = 2 + (size < 126 ? 0 : size < 0x10000 ? 2 : 8) + 4;
      expect(frame.length).to.equal(headerBytes + size);
      const back = unmask(frame);
      expect(back.opcode).to.equal(OPCODE_BINARY);
      expect(back.fin).to.equal(true);
      expect(back.payload.equals(payload)).to.equal(true);
    });
  }

  it('refuses a masking key that is not 4 bytes', () => {
    expect(() => maskedFrame(OPCODE_TEXT, Buffer.from('x'), Buffer.from([1, 2, 3]))).to.throw(RangeError);
  });
});

describe('websocket bench: decoding the server frames', () => {
  const stream = Buffer.concat([
    serverFrame(OPCODE_TEXT, Buffer.from('hello')),
    serverFrame(OPCODE_BINARY, Buffer.alloc(0)),
    serverFrame(OPCODE_TEXT, Buffer.from('x'.repeat(300))),
    serverFrame(OPCODE_PING, Buffer.from('p')),
    serverFrame(OPCODE_BINARY, Buffer.from('y'.repeat(70_000))),
    serverFrame(OPCODE_TEXT, Buffer.from('part'), false),
    serverFrame(0, Buffer.from('end')),
  ]);
  const expected: Seen[] = [
    { opcode: OPCODE_TEXT, fin: true, payload: 'hello', length: 5 },
    { opcode: OPCODE_BINARY, fin: true, payload: '', length: 0 },
    { opcode: OPCODE_TEXT, fin: true, payload: 'x'.repeat(300), length: 300 },
    { opcode: OPCODE_PING, fin: true, payload: 'p', length: 1 },
    { opcode: OPCODE_BINARY, fin: true, payload: 'y'.repeat(70_000), length: 70_000 },
    { opcode: OPCODE_TEXT, fin: false, payload: 'part', length: 4 },
    { opcode: 0, fin: true, payload: 'end', length: 3 },
  ];

  it('decodes frames of every length form fed in one chunk', () => {
    expect(decodeAll([stream])).to.deep.equal(expected);
  });

  it('decodes the same frames fed byte by byte', () => {
    expect(decodeAll(byteByByte(stream))).to.deep.equal(expected);
  });

  it('decodes them split at every 7th byte', () => {
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; at += 7) chunks.push(stream.subarray(at, at + 7));
    expect(decodeAll(chunks)).to.deep.equal(expected);
  });

  it('only counts data frames when payloads are not kept, but still hands over control payloads', () => {
    const counted = decodeAll(byteByByte(stream), false);
    expect(counted.map((s) => s.length)).to.deep.equal(expected.map((s) => s.length));
    expect(counted.map((s) => s.payload)).to.deep.equal([undefined, undefined, undefined, 'p', undefined, undefined, undefined]);
  });

  it('refuses a masked server frame (RFC 6455 5.1)', () => {
    expect(() => decodeAll([Buffer.from([0x81, 0x81, 1, 2, 3, 4, 5])])).to.throw(FrameError, /5\.1/);
  });

  it('refuses reserved bits, a reserved opcode and a fragmented or long control frame', () => {
    expect(() => decodeAll([Buffer.from([0xc1, 0x00])])).to.throw(FrameError, /reserved bits/);
    expect(() => decodeAll([Buffer.from([0x83, 0x00])])).to.throw(FrameError, /reserved opcode/);
    expect(() => decodeAll([Buffer.from([0x09, 0x00])])).to.throw(FrameError, /fragmented/);
    expect(() => decodeAll([Buffer.from([0x80 | OPCODE_CLOSE, 126, 0, 200])])).to.throw(FrameError, /125/);
  });

  it('refuses a frame past its length limit', () => {
    const decoder = new FrameDecoder(() => {}, true, 100);
    expect(() => decoder.push(serverFrame(OPCODE_TEXT, Buffer.alloc(101)))).to.throw(FrameError, /past the limit/);
  });
});

describe('websocket bench: the opening handshake', () => {
  it('computes the accept value of RFC 6455 1.3', () => {
    expect(acceptFor('dGhlIHNhbXBsZSBub25jZQ==')).to.equal('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('writes a GET with the upgrade fields (RFC 6455 4.1)', () => {
    const request = handshakeRequest('127.0.0.1', 9000, '/echo', 'KEY');
    expect(request.startsWith('GET /echo HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n')).to.equal(true);
    expect(request).to.include('Upgrade: websocket\r\n').and.include('Connection: Upgrade\r\n').and.include('Sec-WebSocket-Key: KEY\r\n');
    expect(request)
      .to.include('Sec-WebSocket-Version: 13\r\n')
      .and.match(/\r\n\r\n$/);
  });

  it('accepts 101 with the right Sec-WebSocket-Accept, in any case of the field name', () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    expect(() =>
      checkHandshakeResponse(
        'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
        key,
      ),
    ).not.to.throw();
  });

  it('refuses another status or a wrong or missing accept', () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    expect(() => checkHandshakeResponse('HTTP/1.1 404 Not Found\r\nContent-Length: 0', key)).to.throw(/not 101/);
    expect(() => checkHandshakeResponse('HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: AAAA', key)).to.throw(/expected s3pP/);
    expect(() => checkHandshakeResponse('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket', key)).to.throw(/missing/);
  });
});
