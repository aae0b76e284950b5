import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { FrameParser, Opcode } from '../../src/websocket/frame-parser.js';
import { closePayload, encodeFrame, encodeFrameWhole, frameHeader } from '../../src/websocket/frame-writer.js';
import { maskBytes, RecordingSink } from './frames.js';

/** A server frame as a client would have sent it: the mask bit set and a key before the masked payload. */
function asClientFrame(frame: Buffer): Buffer {
  const length7 = frame[1]! & 0x7f;
  const headerLength = length7 === 126 ? 4 : length7 === 127 ? 10 : 2;
  const header = Buffer.from(frame.subarray(0, headerLength));
  header[1]! |= 0x80;
  const key = randomBytes(4);
  return Buffer.concat([header, key, maskBytes(frame.subarray(headerLength), key)]);
}

function joined(encoded: Buffer | [Buffer, Buffer]): Buffer {
  return Array.isArray(encoded) ? Buffer.concat(encoded) : encoded;
}

function parseClientFrames(...frames: Buffer[]): RecordingSink {
  const sink = new RecordingSink();
  const parser = new FrameParser(sink, { maxPayloadLength: Infinity, perMessageDeflate: true });
  parser.push(Buffer.concat(frames.map(asClientFrame)));
  return sink;
}

describe('websocket frame writer', () => {
  describe('frameHeader', () => {
    const cases: [number, string][] = [
      [0, '8200'],
      [125, '827d'],
      [126, '827e007e'],
      [65535, '827effff'],
      [65536, '827f0000000000010000'],
      [2 ** 32 + 5, '827f0000000100000005'],
    ];
    for (const [length, expected] of cases) {
      it(`encodes a length of ${length} minimally`, () => expect(frameHeader(Opcode.Binary, length).toString('hex')).to.equal(expected));
    }
    it('sets FIN and RSV1 as asked, and never the mask bit', () => {
      expect(frameHeader(Opcode.Text, 3, false).toString('hex')).to.equal('0103');
      expect(frameHeader(Opcode.Text, 3, true, true).toString('hex')).to.equal('c103');
      expect(frameHeader(Opcode.Continuation, 3, true).toString('hex')).to.equal('8003');
    });
  });

  describe('encodeFrame', () => {
    it('is one Buffer up to 1 KiB, else the header and the payload itself', () => {
      const small = Buffer.alloc(1024, 1);
      const large = Buffer.alloc(1025, 2);
      const one = encodeFrame(Opcode.Binary, small);
      expect(Array.isArray(one)).to.equal(false);
      expect(joined(one).equals(Buffer.concat([frameHeader(Opcode.Binary, 1024), small]))).to.equal(true);
      const two = encodeFrame(Opcode.Binary, large);
      expect(Array.isArray(two)).to.equal(true);
      const [header, payload] = two as [Buffer, Buffer];
      expect(payload).to.equal(large);
      expect(header.equals(frameHeader(Opcode.Binary, 1025))).to.equal(true);
    });

    for (const length of [0, 1, 125, 126, 1024, 1025, 65535, 65536, 100_000]) {
      it(`round-trips a ${length}-byte binary frame through the parser`, () => {
        const payload = randomBytes(length);
        const sink = parseClientFrames(joined(encodeFrame(Opcode.Binary, payload)));
        expect(sink.events).to.have.length(1);
        const event = sink.events[0]!;
        expect(event.type === 'message' && event.isBinary && event.data.equals(payload)).to.equal(true);
      });
    }

    it('round-trips a fragmented text message and a compressed frame', () => {
      const sink = parseClientFrames(
        joined(encodeFrame(Opcode.Text, Buffer.from('frag'), false)),
        joined(encodeFrame(Opcode.Ping, Buffer.from('p'))),
        joined(encodeFrame(Opcode.Continuation, Buffer.from('ments κ'))),
        joined(encodeFrame(Opcode.Binary, Buffer.from('zz'), true, true)),
      );
      expect(sink.events.map((e) => [e.type, 'data' in e ? e.data.toString() : 'payload' in e ? e.payload.toString() : ''])).to.deep.equal([
        ['ping', 'p'],
        ['message', 'fragments κ'],
        ['compressedFragment', 'zz'],
      ]);
    });
  });

  describe('encodeFrameWhole', () => {
    for (const length of [0, 125, 126, 65535, 65536]) {
      it(`is one Buffer for ${length} bytes, and round-trips`, () => {
        const payload = randomBytes(length);
        const frame = encodeFrameWhole(Opcode.Binary, payload);
        expect(frame.length).to.equal(frameHeader(Opcode.Binary, length).length + length);
        const event = parseClientFrames(frame).events[0]!;
        expect(event.type === 'message' && event.data.equals(payload)).to.equal(true);
      });
    }
    it('sets RSV1 when asked', () => expect(encodeFrameWhole(Opcode.Text, Buffer.from('a'), true).toString('hex')).to.equal('c10161'));
  });

  describe('closePayload', () => {
    it('is empty for 1005', () => expect(closePayload(1005, '').length).to.equal(0));
    it('is the code then the UTF-8 reason', () =>
      expect(closePayload(1001, 'bye é').toString('hex')).to.equal('03e9' + Buffer.from('bye é').toString('hex')));
    it('round-trips through the parser', () => {
      const sink = parseClientFrames(encodeFrameWhole(Opcode.Close, closePayload(4001, 'going κ')));
      expect(sink.events).to.deep.equal([{ type: 'close', code: 4001, reason: 'going κ' }]);
      const empty = parseClientFrames(encodeFrameWhole(Opcode.Close, closePayload(1005, '')));
      expect(empty.events).to.deep.equal([{ type: 'close', code: 1005, reason: '' }]);
    });
  });
});
