import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { FrameParser, Opcode, type FrameParserOptions } from '../../src/websocket/frame-parser.js';
import { clientFrame, clientFrames, feedings, RecordingSink, type ClientFrame, type SinkEvent } from './frames.js';

const defaults: FrameParserOptions = { maxPayloadLength: 16 * 1024 * 1024, perMessageDeflate: false };

/** An event as plain data: text messages as strings, binary payloads as hex. */
type Summary = (string | number | boolean)[];

function summarize(event: SinkEvent): Summary {
  switch (event.type) {
    case 'message':
      return event.isBinary ? ['binary', event.data.toString('hex')] : ['text', event.data.toString('utf8')];
    case 'compressedFragment':
      return ['compressed', event.payload.toString('hex'), event.isBinary, event.fin];
    case 'ping':
      return ['ping', event.payload.toString('hex')];
    case 'pong':
      return ['pong', event.payload.toString('hex')];
    case 'close':
      return ['close', event.code, event.reason];
    case 'fail':
      return ['fail', event.closeCode, event.error.code];
  }
}

const protocolError: Summary = ['fail', 1002, 'PERCORE_ERR_WEBSOCKET_PROTOCOL'];
const invalidUtf8: Summary = ['fail', 1007, 'PERCORE_ERR_WEBSOCKET_INVALID_UTF8'];
const tooBig: Summary = ['fail', 1009, 'PERCORE_ERR_WEBSOCKET_MESSAGE_TOO_BIG'];

/** Feeds the chunks one by one; returns the events and the parser. */
function feed(chunks: Buffer[], options: Partial<FrameParserOptions> = {}): { events: SinkEvent[]; parser: FrameParser } {
  const sink = new RecordingSink();
  const parser = new FrameParser(sink, { ...defaults, ...options });
  for (const chunk of chunks) parser.push(chunk);
  return { events: sink.events, parser };
}

/** One `it` per feeding of `bytes`, each expecting the same events; a case ending in a failure or close also checks `finished`. */
function parses(name: string, bytes: Buffer, expected: Summary[], options: Partial<FrameParserOptions> = {}): void {
  describe(name, () => {
    for (const feeding of feedings(bytes)) {
      it(feeding.name, () => {
        const { events, parser } = feed(feeding.chunks, options);
        expect(events.map(summarize)).to.deep.equal(expected);
        const last = expected.at(-1);
        const ends = last !== undefined && (last[0] === 'fail' || last[0] === 'close');
        expect(parser.finished).to.equal(ends);
        if (!ends) expect(parser.bufferedBytes).to.equal(0);
      });
    }
  });
}

const text = (payload: string | Buffer, frame: Partial<ClientFrame> = {}): ClientFrame => ({ opcode: Opcode.Text, payload, ...frame });
const binary = (payload: Buffer, frame: Partial<ClientFrame> = {}): ClientFrame => ({ opcode: Opcode.Binary, payload, ...frame });
const more = (payload: string | Buffer, frame: Partial<ClientFrame> = {}): ClientFrame => ({
  opcode: Opcode.Continuation,
  payload,
  ...frame,
});
const closeFrame = (payload: Buffer): ClientFrame => ({ opcode: Opcode.Close, payload });
const code = (value: number, reason: Buffer | string = ''): Buffer => {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return Buffer.concat([bytes, Buffer.from(reason)]);
};

describe('websocket FrameParser', () => {
  describe('data messages', () => {
    parses('a text frame', clientFrame(text('hello')), [['text', 'hello']]);
    parses('a binary frame', clientFrame(binary(Buffer.from([0, 1, 2, 255]))), [['binary', '000102ff']]);
    parses('zero-length text and binary messages', clientFrames(text(''), binary(Buffer.alloc(0))), [
      ['text', ''],
      ['binary', ''],
    ]);
    parses('a text message in three fragments', clientFrames(text('hel', { fin: false }), more('lo ', { fin: false }), more('world')), [
      ['text', 'hello world'],
    ]);
    parses('a binary message in fragments, some empty', clientFrames(binary(Buffer.from([1]), { fin: false }), more('')), [['binary', '01']]);
    parses(
      'a ping and a pong between fragments',
      clientFrames(
        text('a', { fin: false }),
        { opcode: Opcode.Ping, payload: 'p' },
        more('b', { fin: false }),
        { opcode: Opcode.Pong, payload: '' },
        more('c'),
      ),
      [
        ['ping', '70'],
        ['pong', ''],
        ['text', 'abc'],
      ],
    );
    const many = Array.from({ length: 40 }, (_, i) => text(`message ${i}`));
    parses(
      'forty frames in one chunk',
      clientFrames(...many),
      many.map((_, i) => ['text', `message ${i}`]),
    );
    parses('a 16-bit length (126 bytes)', clientFrame(text('x'.repeat(126))), [['text', 'x'.repeat(126)]]);
    parses('a 16-bit length (65535 bytes)', clientFrame(binary(Buffer.alloc(65535, 7))), [['binary', '07'.repeat(65535)]]);
    parses('a 64-bit length (65536 bytes)', clientFrame(binary(Buffer.alloc(65536, 9))), [['binary', '09'.repeat(65536)]]);
    // RFC 6455 5.2 asks for the minimal length encoding; like ws, longer ones are accepted.
    parses('non-minimal 16-bit and 64-bit lengths', clientFrames(text('ab', { lengthBits: 16 }), text('cd', { lengthBits: 64 })), [
      ['text', 'ab'],
      ['text', 'cd'],
    ]);
    parses('an all-zero masking key', clientFrame(text('plain', { maskKey: Buffer.alloc(4) })), [['text', 'plain']]);
  });

  describe('a 1 MiB binary message', () => {
    const payload = randomBytes(1024 * 1024);
    const bytes = clientFrames(binary(payload.subarray(0, 300_000), { fin: false }), more(payload.subarray(300_000)));
    for (const feeding of feedings(bytes)) {
      if (feeding.name === 'byte by byte') continue; // below, in 1000-byte pieces: a million pushes would only be slow.
      it(feeding.name, () => {
        const { events } = feed(feeding.chunks);
        expect(events).to.have.length(1);
        const event = events[0]!;
        expect(event.type === 'message' && event.isBinary && event.data.equals(payload)).to.equal(true);
      });
    }
    it('in 1000-byte pieces, then in pieces of 1-7 bytes at odd offsets', () => {
      for (const size of [1000, 7, 3]) {
        const chunks: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += size) chunks.push(Buffer.from(bytes.subarray(i, i + size)));
        const { events } = feed(chunks);
        expect(events).to.have.length(1);
        const event = events[0]!;
        expect(event.type === 'message' && event.data.equals(payload), `pieces of ${size}`).to.equal(true);
      }
    });
  });

  describe('unmasking at every alignment and key phase', () => {
    it('matches the payload for lengths around the word-unmask threshold, at offsets 0-3 in the chunk', () => {
      for (const length of [1, 3, 4, 5, 255, 256, 257, 1023, 4099]) {
        const payload = randomBytes(length);
        for (let offset = 0; offset < 4; offset++) {
          const frame = clientFrame(binary(payload, { maskKey: randomBytes(4) }));
          const padded = Buffer.alloc(offset + frame.length + 3);
          frame.copy(padded, offset);
          const chunk = padded.subarray(offset, offset + frame.length);
          const { events } = feed([chunk]);
          const event = events[0]!;
          expect(event.type === 'message' && event.data.equals(payload), `length ${length}, offset ${offset}`).to.equal(true);
          // And split at each of the first few payload bytes, so each later piece starts at another phase of the key.
          for (let cut = 1; cut < Math.min(length, 6); cut++) {
            const head = frame.length - length + cut;
            const split = feed([Buffer.from(frame.subarray(0, head)), Buffer.from(frame.subarray(head))]).events[0]!;
            expect(split.type === 'message' && split.data.equals(payload), `length ${length}, cut ${cut}`).to.equal(true);
          }
        }
      }
    });
  });

  describe('a single-frame message in one chunk', () => {
    it('is a view of the chunk, not a copy', () => {
      const chunk = clientFrame(binary(Buffer.from('abcdef')));
      const { events } = feed([chunk]);
      const event = events[0]!;
      expect(event.type === 'message' && event.data.buffer === chunk.buffer).to.equal(true);
    });
  });

  describe('masking (RFC 6455 5.1)', () => {
    parses('an unmasked client frame fails with 1002', clientFrame(text('hi', { masked: false })), [protocolError]);
  });

  describe('RSV bits', () => {
    parses('RSV2 fails with 1002', clientFrame(text('x', { rsv2: true })), [protocolError]);
    parses('RSV3 fails with 1002', clientFrame(text('x', { rsv3: true })), [protocolError]);
    parses('RSV2 fails with 1002 even with permessage-deflate', clientFrame(text('x', { rsv2: true })), [protocolError], {
      perMessageDeflate: true,
    });
    parses('RSV1 without permessage-deflate fails with 1002', clientFrame(text('x', { rsv1: true })), [protocolError]);
    parses(
      'RSV1 on a continuation frame fails with 1002',
      clientFrames(text('a', { rsv1: true, fin: false }), more('b', { rsv1: true })),
      [['compressed', '61', false, false], protocolError],
      { perMessageDeflate: true },
    );
    parses('RSV1 on a ping fails with 1002', clientFrame({ opcode: Opcode.Ping, rsv1: true }), [protocolError], {
      perMessageDeflate: true,
    });
  });

  describe('reserved opcodes', () => {
    for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
      parses(`opcode 0x${opcode.toString(16)} fails with 1002`, clientFrame({ opcode, payload: 'x' }), [protocolError]);
    }
  });

  describe('control frames (RFC 6455 5.5)', () => {
    parses('a ping and a pong', clientFrames({ opcode: Opcode.Ping, payload: 'ab' }, { opcode: Opcode.Pong, payload: 'cd' }), [
      ['ping', '6162'],
      ['pong', '6364'],
    ]);
    const full = Buffer.alloc(125, 0x41);
    parses('a ping with 125 bytes', clientFrame({ opcode: Opcode.Ping, payload: full }), [['ping', full.toString('hex')]]);
    parses('a ping with 126 bytes fails with 1002', clientFrame({ opcode: Opcode.Ping, payload: Buffer.alloc(126) }), [protocolError]);
    parses('a close with 126 bytes fails with 1002', clientFrame(closeFrame(Buffer.concat([code(1000), Buffer.alloc(124, 0x61)]))), [
      protocolError,
    ]);
    parses('a ping without FIN fails with 1002', clientFrame({ opcode: Opcode.Ping, payload: 'x', fin: false }), [protocolError]);
  });

  describe('fragmentation (RFC 6455 5.4)', () => {
    parses('a continuation with no message started fails with 1002', clientFrame(more('x')), [protocolError]);
    parses('a continuation after a finished message fails with 1002', clientFrames(text('a'), more('b')), [['text', 'a'], protocolError]);
    parses('a new text frame while a message is unfinished fails with 1002', clientFrames(text('a', { fin: false }), text('b')), [
      protocolError,
    ]);
    parses(
      'a new binary frame while a message is unfinished fails with 1002',
      clientFrames(binary(Buffer.from('a'), { fin: false }), binary(Buffer.from('b'))),
      [protocolError],
    );
  });

  describe('payload lengths', () => {
    parses(
      'a 64-bit length with the top bit set fails with 1002',
      clientFrame(binary(Buffer.alloc(0), { declaredLength: 0x8000000000000000n, lengthBits: 64 })),
      [protocolError],
      { maxPayloadLength: Infinity },
    );
    parses(
      'a 64-bit length past 2^53 fails with 1009',
      clientFrame(binary(Buffer.alloc(0), { declaredLength: 0x0020000000000000n, lengthBits: 64 })),
      [tooBig],
      { maxPayloadLength: Infinity },
    );
  });

  describe('maxPayloadLength', () => {
    parses('a message of exactly maxPayloadLength passes', clientFrame(text('0123456789')), [['text', '0123456789']], {
      maxPayloadLength: 10,
    });
    parses('a frame one byte longer fails with 1009', clientFrame(text('0123456789a')), [tooBig], { maxPayloadLength: 10 });
    parses('fragments are counted together', clientFrames(text('012345', { fin: false }), more('678'), text('abc')), [tooBig], {
      maxPayloadLength: 8,
    });
    parses(
      'the count starts again with each message',
      clientFrames(text('0123', { fin: false }), more('4567'), text('abcdefgh')),
      [
        ['text', '01234567'],
        ['text', 'abcdefgh'],
      ],
      { maxPayloadLength: 8 },
    );
    parses(
      'control frames do not count',
      clientFrames(text('0123', { fin: false }), { opcode: Opcode.Ping, payload: 'pingping' }, more('4567')),
      [
        ['ping', Buffer.from('pingping').toString('hex')],
        ['text', '01234567'],
      ],
      { maxPayloadLength: 8 },
    );
    parses(
      'compressed fragments are counted on their compressed length',
      clientFrames(binary(Buffer.from('012345'), { rsv1: true, fin: false }), more(Buffer.from('678'))),
      [['compressed', Buffer.from('012345').toString('hex'), true, false], tooBig],
      { maxPayloadLength: 8, perMessageDeflate: true },
    );

    it('fails from the header alone, before any of the payload arrives', () => {
      for (const lengthBits of [7, 16, 64] as const) {
        const header = clientFrame(binary(Buffer.alloc(0), { declaredLength: 100, lengthBits }));
        // Without the mask key: the length is known at the end of the length field.
        const lengthEnd = header.length - 4;
        const sink = new RecordingSink();
        const parser = new FrameParser(sink, { ...defaults, maxPayloadLength: 99 });
        for (let i = 0; i < lengthEnd; i++) {
          expect(sink.events, `${lengthBits}-bit, byte ${i}`).to.have.length(0);
          parser.push(Buffer.from([header[i]!]));
        }
        expect(sink.events.map(summarize)).to.deep.equal([tooBig]);
        expect(parser.finished).to.equal(true);
      }
    });
  });

  describe('text is UTF-8 (RFC 6455 8.1)', () => {
    const hex = (value: string): Buffer => Buffer.from(value.replace(/ /g, ''), 'hex');
    parses('valid multi-byte text (κόσμε, U+10FFFF)', clientFrame(text('κόσμε \u{10ffff} €')), [['text', 'κόσμε \u{10ffff} €']]);
    parses(
      'a code point split across fragments',
      clientFrames(text(hex('ce ba e1'), { fin: false }), more(hex('bd'), { fin: false }), more(hex('b9 cf 83'))),
      [['text', hex('ce ba e1 bd b9 cf 83').toString('utf8')]],
    );
    parses('overlong C0 80 fails with 1007', clientFrame(text(hex('61 c0 80 62'))), [invalidUtf8]);
    parses('a surrogate ED A0 80 fails with 1007', clientFrame(text(hex('ed a0 80'))), [invalidUtf8]);
    parses('F4 90 80 80 (past U+10FFFF) fails with 1007', clientFrame(text(hex('f4 90 80 80'))), [invalidUtf8]);
    parses('text truncated inside a code point fails with 1007', clientFrame(text(hex('61 e2 82'))), [invalidUtf8]);
    parses(
      'a fragmented message that ends inside a code point fails with 1007',
      clientFrames(text(hex('61'), { fin: false }), more(hex('f0 9f 98'))),
      [invalidUtf8],
    );
    parses('invalid UTF-8 in a binary message is fine', clientFrame(binary(hex('c0 80 ff'))), [['binary', 'c080ff']]);
    const long = Buffer.concat([Buffer.from('a'.repeat(200)), hex('ed a0 80'), Buffer.from('b'.repeat(100))]);
    parses('a long text with a surrogate in the middle fails with 1007', clientFrame(text(long)), [invalidUtf8]);

    it('fails at the first bad byte, not at the end of the frame', () => {
      for (const [bad, at] of [
        ['c0 80', 0],
        ['ed a0 80', 1],
        ['f4 90 80 80', 1],
        ['e2 28 a1', 1],
        ['ff', 0],
      ] as const) {
        const payload = Buffer.concat([Buffer.from('ok κ '), hex(bad), Buffer.from(' and then a long tail '.repeat(10))]);
        const frame = clientFrame(text(payload));
        const badIndex = frame.length - payload.length + Buffer.from('ok κ ').length + at;
        const sink = new RecordingSink();
        const parser = new FrameParser(sink, defaults);
        let failedAt = -1;
        for (let i = 0; i < frame.length && failedAt < 0; i++) {
          parser.push(Buffer.from([frame[i]!]));
          if (sink.events.length > 0) failedAt = i;
        }
        expect(failedAt, bad).to.equal(badIndex);
        expect(sink.events.map(summarize)).to.deep.equal([invalidUtf8]);
      }
    });

    it('fails in an early fragment before the message ends', () => {
      const sink = new RecordingSink();
      const parser = new FrameParser(sink, defaults);
      parser.push(clientFrame(text(hex('61 ed a0'), { fin: false })));
      expect(sink.events.map(summarize)).to.deep.equal([invalidUtf8]);
    });

    parses(
      'compressed text is not validated here (it is after inflating)',
      clientFrame(text(hex('c0 80'), { rsv1: true })),
      [['compressed', 'c080', false, true]],
      { perMessageDeflate: true },
    );
  });

  describe('compressed messages (RFC 7692)', () => {
    parses(
      'each frame reported with its FIN, unmasked',
      clientFrames(
        binary(Buffer.from('aa'), { rsv1: true, fin: false }),
        { opcode: Opcode.Ping, payload: 'x' },
        more(Buffer.from('bb'), { fin: false }),
        more(Buffer.alloc(0)),
        text('t', { rsv1: true }),
      ),
      [
        ['compressed', Buffer.from('aa').toString('hex'), true, false],
        ['ping', '78'],
        ['compressed', Buffer.from('bb').toString('hex'), true, false],
        ['compressed', '', true, true],
        ['compressed', '74', false, true],
      ],
      { perMessageDeflate: true },
    );
    parses(
      'an uncompressed message is whole even with permessage-deflate',
      clientFrames(text('a', { fin: false }), more('b')),
      [['text', 'ab']],
      { perMessageDeflate: true },
    );
  });

  describe('close frames (RFC 6455 5.5.1, 7.4)', () => {
    parses('an empty close is code 1005', clientFrame(closeFrame(Buffer.alloc(0))), [['close', 1005, '']]);
    parses('a code and a reason', clientFrame(closeFrame(code(1000, 'bye κ'))), [['close', 1000, 'bye κ']]);
    parses('a code without a reason', clientFrame(closeFrame(code(4999))), [['close', 4999, '']]);
    parses('a 1-byte payload fails with 1002', clientFrame(closeFrame(Buffer.from([3]))), [protocolError]);
    for (const bad of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
      parses(`code ${bad} fails with 1002`, clientFrame(closeFrame(code(bad))), [protocolError]);
    }
    for (const good of [1000, 1003, 1007, 1014, 3000]) {
      parses(`code ${good} is accepted`, clientFrame(closeFrame(code(good))), [['close', good, '']]);
    }
    parses('a reason that is not UTF-8 fails with 1007', clientFrame(closeFrame(code(1000, Buffer.from([0x61, 0xed, 0xa0, 0x80])))), [
      invalidUtf8,
    ]);
    parses('a close between fragments', clientFrames(text('a', { fin: false }), closeFrame(code(1001))), [['close', 1001, '']]);

    it('nothing is parsed after a close frame', () => {
      const { events, parser } = feed([clientFrames(closeFrame(code(1000)), text('after'))]);
      expect(events.map(summarize)).to.deep.equal([['close', 1000, '']]);
      parser.push(clientFrame(text('later')));
      expect(events).to.have.length(1);
      expect(parser.finished).to.equal(true);
      expect(parser.bufferedBytes).to.equal(0);
    });
  });

  describe('after a failure', () => {
    it('reports nothing more and holds nothing', () => {
      const { events, parser } = feed([clientFrames(text('a', { rsv2: true }), text('b'))]);
      parser.push(clientFrame(text('c')));
      parser.resume();
      expect(events.map(summarize)).to.deep.equal([protocolError]);
      expect(parser.finished).to.equal(true);
      expect(parser.bufferedBytes).to.equal(0);
    });
  });

  describe('pause() and resume()', () => {
    const first = clientFrames(text('one'), { opcode: Opcode.Ping, payload: 'p' }, text('two'));
    const later = clientFrame(binary(Buffer.from([3])));
    for (const feeding of feedings(first)) {
      it(`pausing in a callback holds the later frames (${feeding.name})`, () => {
        const sink = new RecordingSink();
        const parser = new FrameParser(sink, defaults);
        sink.onEvent = (event) => {
          if (event.type === 'message' && event.data.toString() === 'one') parser.pause();
        };
        for (const chunk of feeding.chunks) parser.push(chunk);
        expect(sink.events.map(summarize)).to.deep.equal([['text', 'one']]);
        expect(parser.paused).to.equal(true);
        const oneLength = clientFrame(text('one')).length;
        expect(parser.bufferedBytes).to.equal(first.length - oneLength);
        parser.push(Buffer.from(later));
        expect(sink.events).to.have.length(1);
        expect(parser.bufferedBytes).to.equal(first.length - oneLength + later.length);
        parser.resume();
        expect(parser.paused).to.equal(false);
        expect(sink.events.map(summarize)).to.deep.equal([
          ['text', 'one'],
          ['ping', '70'],
          ['text', 'two'],
          ['binary', '03'],
        ]);
        expect(parser.bufferedBytes).to.equal(0);
      });
    }

    it('resume() from inside the same callback carries on', () => {
      const sink = new RecordingSink();
      const parser = new FrameParser(sink, defaults);
      sink.onEvent = () => {
        parser.pause();
        parser.resume();
      };
      parser.push(clientFrames(text('a'), text('b'), text('c')));
      expect(sink.events.map(summarize)).to.deep.equal([
        ['text', 'a'],
        ['text', 'b'],
        ['text', 'c'],
      ]);
    });

    it('pausing at each compressed fragment (as an inflate would) keeps them in order', () => {
      const sink = new RecordingSink();
      const parser = new FrameParser(sink, { ...defaults, perMessageDeflate: true });
      sink.onEvent = () => parser.pause();
      parser.push(clientFrames(binary(Buffer.from('a'), { rsv1: true, fin: false }), more(Buffer.from('b')), text('c')));
      const seen: Summary[] = [];
      for (let rounds = 0; rounds < 10 && (parser.paused || seen.length === 0); rounds++) {
        seen.push(...sink.events.splice(0).map(summarize));
        parser.resume();
      }
      seen.push(...sink.events.splice(0).map(summarize));
      expect(seen).to.deep.equal([
        ['compressed', '61', true, false],
        ['compressed', '62', true, true],
        ['text', 'c'],
      ]);
    });
  });

  describe('a sink that keeps the data', () => {
    it('sees it unchanged after later frames are parsed', () => {
      const sink = new RecordingSink();
      const parser = new FrameParser(sink, defaults);
      const bytes = clientFrames(text('first'), text('second'), text('third', { fin: false }), more(' part'));
      for (let i = 0; i < bytes.length; i += 5) parser.push(Buffer.from(bytes.subarray(i, i + 5)));
      expect(sink.events.map(summarize)).to.deep.equal([
        ['text', 'first'],
        ['text', 'second'],
        ['text', 'third part'],
      ]);
    });
  });
});
