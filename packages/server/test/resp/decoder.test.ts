import { expect } from 'chai';
import { PercoreError } from '../../src/errors.js';
import { RespDecoder, type DecoderOptions } from '../../src/resp/decoder.js';
import { RespPush, RespReplyError, type RespValue } from '../../src/resp/values.js';

/** mulberry32: a small seeded generator, so the random chunk boundaries are the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = [1, 2, 3, 42, 2026];

/** The ways each case is cut: whole, byte by byte, and at random boundaries with fixed seeds. */
function cuts(bytes: Buffer): { name: string; chunks: Buffer[] }[] {
  const result = [
    { name: 'whole', chunks: [bytes] },
    { name: 'byte by byte', chunks: [...bytes].map((byte) => Buffer.from([byte])) },
  ];
  for (const seed of SEEDS) {
    const next = random(seed);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < bytes.length;) {
      const size = 1 + Math.floor(next() * Math.max(1, Math.min(bytes.length / 2, 64)));
      chunks.push(bytes.subarray(offset, offset + size));
      offset += size;
    }
    result.push({ name: `random cuts, seed ${seed}`, chunks });
  }
  return result;
}

/** A value in a shape chai compares deeply: errors and pushes as plain records. */
function plain(value: RespValue): unknown {
  if (value instanceof RespReplyError) return { error: value.reply, prefix: value.prefix };
  if (value instanceof RespPush) return { push: value.kind, data: value.data.map(plain) };
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [plain(key), plain(item)]));
  return value;
}

/** Decodes `input` cut every way; every cut must give the same replies, which are returned. */
function decode(input: string | Buffer, options?: DecoderOptions): unknown[] {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let first: unknown[] | undefined;
  for (const { name, chunks } of cuts(bytes)) {
    const replies: RespValue[] = [];
    const decoder = new RespDecoder((value) => replies.push(value), options);
    for (const chunk of chunks) decoder.feed(chunk);
    expect(decoder.pending, `${name}: nothing left pending`).to.equal(false);
    const values = replies.map(plain);
    if (first === undefined) first = values;
    else expect(values, name).to.deep.equal(first);
  }
  return first!;
}

/** Expects `input`, cut every way, to be refused with PERCORE_ERR_RESP_PROTOCOL, and the decoder to refuse more after. */
function expectRefused(input: string | Buffer, message: RegExp, options?: DecoderOptions): void {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  for (const { name, chunks } of cuts(bytes)) {
    const decoder = new RespDecoder(() => {}, options);
    let caught: unknown;
    for (const chunk of chunks) {
      try {
        decoder.feed(chunk);
      } catch (error) {
        caught = error;
        break;
      }
    }
    expect(caught, `${name}: refused`).to.be.instanceOf(PercoreError);
    expect((caught as PercoreError).code, name).to.equal('PERCORE_ERR_RESP_PROTOCOL');
    expect((caught as PercoreError).message, name).to.match(message);
    expect(() => decoder.feed(Buffer.from('+OK\r\n')), `${name}: refuses more`)
      .to.throw(PercoreError, /earlier error/)
      .with.property('code', 'PERCORE_ERR_RESP_PROTOCOL');
    decoder.reset();
    const replies: RespValue[] = [];
    const fresh = new RespDecoder((value) => replies.push(value), options);
    fresh.feed(Buffer.from('+OK\r\n'));
    expect(replies).to.deep.equal(['OK']);
  }
}

describe('resp/decoder', () => {
  describe('RESP2 types', () => {
    it('reads simple strings, including empty and UTF-8 ones', () => {
      expect(decode('+OK\r\n+\r\n+h\xe9llo w\xf6rld, a longer status line\r\n')).to.deep.equal([
        'OK',
        '',
        'héllo wörld, a longer status line',
      ]);
    });

    it('reads integers: zero, negative, explicit plus, and the edges of the safe range', () => {
      expect(decode(':0\r\n:1\r\n:-42\r\n:+7\r\n:9007199254740991\r\n:-9007199254740991\r\n')).to.deep.equal([
        0,
        1,
        -42,
        7,
        Number.MAX_SAFE_INTEGER,
        -Number.MAX_SAFE_INTEGER,
      ]);
    });

    it('reads integers beyond 2^53 as bigints, exactly', () => {
      expect(decode(':9007199254740992\r\n:-9223372036854775808\r\n:18446744073709551616\r\n')).to.deep.equal([
        9007199254740992n,
        -9223372036854775808n,
        18446744073709551616n,
      ]);
    });

    it('reads bulk strings: empty, binary-safe with CRLF inside, multibyte UTF-8, and long', () => {
      const long = 'x'.repeat(5000);
      const values = decode(Buffer.concat([Buffer.from('$0\r\n\r\n$4\r\na\r\nb\r\n$5\r\nhéé\r\n'), Buffer.from(`$5000\r\n${long}\r\n`)]));
      expect(values).to.deep.equal(['', 'a\r\nb', 'héé', long]);
      // Past 4 KiB a bulk string is checked for ASCII before it is decoded; a UTF-8 one stays UTF-8, cut anywhere.
      const accented = 'é日'.repeat(1000);
      expect(decode(`$${Buffer.byteLength(accented)}\r\n${accented}\r\n`)).to.deep.equal([accented]);
    });

    it('reads bulk strings as Buffers when bulkAs is buffer, simple strings still as strings', () => {
      const values = decode('$3\r\nfoo\r\n$0\r\n\r\n+OK\r\n*1\r\n$2\r\nhi\r\n', { bulkAs: 'buffer' });
      expect(values).to.deep.equal([Buffer.from('foo'), Buffer.alloc(0), 'OK', [Buffer.from('hi')]]);
    });

    it('hands out Buffers of its own: changing the chunk after feed changes no reply', () => {
      const replies: RespValue[] = [];
      const decoder = new RespDecoder((value) => replies.push(value), { bulkAs: 'buffer' });
      const chunk = Buffer.from('$3\r\nfoo\r\n$3\r\nba');
      decoder.feed(chunk);
      chunk.fill(0x21);
      const tail = Buffer.from('r\r\n');
      decoder.feed(tail);
      tail.fill(0x21);
      expect(replies).to.deep.equal([Buffer.from('foo'), Buffer.from('bar')]);
    });

    it('reads the RESP2 nulls $-1 and *-1 as null', () => {
      expect(decode('$-1\r\n*-1\r\n*2\r\n$-1\r\n*-1\r\n')).to.deep.equal([null, null, [null, null]]);
    });

    it('reads arrays: empty, nested, mixed', () => {
      expect(decode('*0\r\n*3\r\n:1\r\n*2\r\n+a\r\n*0\r\n$1\r\nb\r\n*1\r\n*1\r\n*1\r\n:5\r\n')).to.deep.equal([
        [],
        [1, ['a', []], 'b'],
        [[[5]]],
      ]);
    });

    it('gives a top-level error reply as a RespReplyError with its prefix and whole text', () => {
      const values = decode(
        "-ERR unknown command 'FOO'\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n-NOAUTH\r\n",
      );
      expect(values).to.deep.equal([
        { error: "ERR unknown command 'FOO'", prefix: 'ERR' },
        { error: 'WRONGTYPE Operation against a key holding the wrong kind of value', prefix: 'WRONGTYPE' },
        { error: 'NOAUTH', prefix: 'NOAUTH' },
      ]);
    });

    it('makes RespReplyError a PercoreError PERCORE_ERR_RESP_REPLY whose message is the server text', () => {
      const replies: RespValue[] = [];
      new RespDecoder((value) => replies.push(value)).feed(Buffer.from('-MOVED 3999 127.0.0.1:6381\r\n'));
      const error = replies[0] as RespReplyError;
      expect(error).to.be.instanceOf(RespReplyError).and.instanceOf(PercoreError);
      expect(error.code).to.equal('PERCORE_ERR_RESP_REPLY');
      expect(error.message).to.equal('MOVED 3999 127.0.0.1:6381');
      expect(error.prefix).to.equal('MOVED');
    });

    it('keeps an error inside an array as an element (EXEC)', () => {
      expect(decode('*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n:2\r\n')).to.deep.equal([
        ['OK', { error: 'ERR value is not an integer or out of range', prefix: 'ERR' }, 2],
      ]);
    });
  });

  describe('RESP3 types', () => {
    it('reads null, booleans', () => {
      expect(decode('_\r\n#t\r\n#f\r\n')).to.deep.equal([null, true, false]);
    });

    it('reads doubles: plain, negative, exponents, inf, -inf, nan', () => {
      const values = decode(',1.23\r\n,-0.5\r\n,10\r\n,1.5e3\r\n,2E-2\r\n,-1.25e+2\r\n,.5\r\n,inf\r\n,-inf\r\n,nan\r\n');
      expect(values.slice(0, 9)).to.deep.equal([1.23, -0.5, 10, 1500, 0.02, -125, 0.5, Infinity, -Infinity]);
      expect(Number.isNaN(values[9])).to.equal(true);
    });

    it('reads big numbers as bigints', () => {
      expect(decode('(3492890328409238509324850943850943825024385\r\n(-12\r\n(0\r\n')).to.deep.equal([
        3492890328409238509324850943850943825024385n,
        -12n,
        0n,
      ]);
    });

    it('reads verbatim strings without their format prefix, as strings or Buffers', () => {
      expect(decode('=15\r\ntxt:Some string\r\n=4\r\nmkd:\r\n')).to.deep.equal(['Some string', '']);
      expect(decode(Buffer.from('=8\r\ntxt:héy\r\n'))).to.deep.equal(['héy']);
      expect(decode('=7\r\ntxt:abc\r\n', { bulkAs: 'buffer' })).to.deep.equal([Buffer.from('abc')]);
    });

    it('reads a blob error as a RespReplyError', () => {
      expect(decode('!21\r\nSYNTAX invalid syntax\r\n!0\r\n\r\n')).to.deep.equal([
        { error: 'SYNTAX invalid syntax', prefix: 'SYNTAX' },
        { error: '', prefix: '' },
      ]);
    });

    it('reads maps as Maps: empty, nested, with errors and nulls as values', () => {
      const values = decode('%0\r\n%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n%1\r\n+inner\r\n_\r\n%1\r\n+err\r\n-ERR no\r\n');
      expect(values).to.deep.equal([
        new Map(),
        new Map<unknown, unknown>([
          ['first', 1],
          ['second', new Map([['inner', null]])],
        ]),
        new Map([['err', { error: 'ERR no', prefix: 'ERR' }]]),
      ]);
    });

    it('reads sets as arrays', () => {
      expect(decode('~0\r\n~3\r\n+a\r\n:1\r\n#f\r\n')).to.deep.equal([[], ['a', 1, false]]);
    });

    it('reads push frames: kind from the first element, data the rest, between replies', () => {
      const values = decode(
        '+OK\r\n>3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$5\r\nhello\r\n:1\r\n>2\r\n+invalidate\r\n*1\r\n$3\r\nkey\r\n>0\r\n',
      );
      expect(values).to.deep.equal([
        'OK',
        { push: 'message', data: ['chan', 'hello'] },
        1,
        { push: 'invalidate', data: [['key']] },
        { push: '', data: [] },
      ]);
    });

    it('gives a push frame its kind as a string when bulk strings are Buffers', () => {
      const [push] = decode('>2\r\n$9\r\nsubscribe\r\n:1\r\n', { bulkAs: 'buffer' }) as { push: string; data: unknown[] }[];
      expect(push).to.deep.equal({ push: 'subscribe', data: [1] });
    });

    it('drops attributes, at the top and before an element, without counting them as elements', () => {
      const values = decode(
        '|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n' +
          '*2\r\n|1\r\n+ttl\r\n:3600\r\n+x\r\n+y\r\n|0\r\n:5\r\n',
      );
      expect(values).to.deep.equal([[2039123, 9543892], ['x', 'y'], 5]);
    });

    it('reads streamed strings (RESP3.md: chunks, then ";0\\r\\n"), as strings and as Buffers, also inside an array', () => {
      expect(decode('$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n$?\r\n;0\r\n')).to.deep.equal(['Hello word', '']);
      expect(decode('$?\r\n;2\r\nab\r\n;0\r\n', { bulkAs: 'buffer' })).to.deep.equal([Buffer.from('ab')]);
      // The terminating ";0\r\n" has no payload: what follows it is the next value.
      expect(decode('*2\r\n$?\r\n;1\r\na\r\n;0\r\n:1\r\n+next\r\n')).to.deep.equal([['a', 1], 'next']);
    });

    it('reads streamed aggregates: arrays, sets, maps, nested, empty', () => {
      expect(decode('*?\r\n:1\r\n:2\r\n*?\r\n.\r\n.\r\n~?\r\n+a\r\n.\r\n%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n')).to.deep.equal([
        [1, 2, []],
        ['a'],
        new Map([
          ['a', 1],
          ['b', 2],
        ]),
      ]);
    });
  });

  describe('chunk boundaries', () => {
    it('gives several replies in one chunk to onReply in order, synchronously', () => {
      const replies: RespValue[] = [];
      const decoder = new RespDecoder((value) => replies.push(value));
      decoder.feed(Buffer.from('+OK\r\n:1\r\n$3\r\nfoo\r\n*1\r\n+x\r\n_\r\n'));
      expect(replies).to.deep.equal(['OK', 1, 'foo', ['x'], null]);
    });

    it('waits inside a CRLF, a length line and a bulk payload, and says so in pending', () => {
      const replies: RespValue[] = [];
      const decoder = new RespDecoder((value) => replies.push(value));
      for (const [chunk, pending] of [
        ['+OK\r', true],
        ['\n$1', true],
        ['0\r\n01234', true],
        ['56789\r', true],
        ['\n*2\r\n:1\r\n', true],
        [':2\r\n', false],
      ] as const) {
        decoder.feed(Buffer.from(chunk));
        expect(decoder.pending, JSON.stringify(chunk)).to.equal(pending);
      }
      expect(replies).to.deep.equal(['OK', '0123456789', [1, 2]]);
    });

    it('reads a 10 MB bulk string fed in 64 KiB chunks', () => {
      const payload = Buffer.alloc(10 * 1024 * 1024, 'ab');
      const bytes = Buffer.concat([Buffer.from(`$${payload.length}\r\n`), payload, Buffer.from('\r\n:1\r\n')]);
      const replies: RespValue[] = [];
      const decoder = new RespDecoder((value) => replies.push(value), { bulkAs: 'buffer' });
      for (let offset = 0; offset < bytes.length; offset += 65536) decoder.feed(bytes.subarray(offset, offset + 65536));
      expect(replies).to.have.length(2);
      expect((replies[0] as Buffer).equals(payload)).to.equal(true);
      expect(replies[1]).to.equal(1);
    });

    it('reads a long simple string fed in small chunks', () => {
      const line = 'y'.repeat(200_000);
      const bytes = Buffer.from(`+${line}\r\n:2\r\n`);
      const replies: RespValue[] = [];
      const decoder = new RespDecoder((value) => replies.push(value));
      for (let offset = 0; offset < bytes.length; offset += 1000) decoder.feed(bytes.subarray(offset, offset + 1000));
      expect(replies).to.deep.equal([line, 2]);
    });

    it('reads a large array split anywhere', () => {
      const count = 2000;
      const bytes = `*${count}\r\n` + Array.from({ length: count }, (_, index) => `$${String(index).length}\r\n${index}\r\n`).join('');
      const [array] = decode(bytes) as string[][];
      expect(array).to.have.length(count);
      expect(array[1999]).to.equal('1999');
    });
  });

  describe('malformed input', () => {
    it('refuses an unknown type byte, naming it and its offset', () => {
      expectRefused('+OK\r\nA\r\n', /unknown type byte 0x41 \('A'\) at byte 5 of the stream/);
      expectRefused('*1\r\n@x\r\n', /unknown type byte 0x40/);
    });

    it('refuses bad lengths: non-digits, empty, negative other than -1, -1 where no null exists, too many digits', () => {
      expectRefused('$x\r\n', /0x78 \('x'\) where a length was expected at byte 1/);
      expectRefused('$3a\r\nfoo\r\n', /0x61 \('a'\) in a length at byte 2/);
      expectRefused('*\r\n', /where a length was expected/);
      expectRefused('$-2\r\n', /negative length other than -1/);
      expectRefused('%-1\r\n', /where a length was expected/);
      expectRefused('!-1\r\n', /where a length was expected/);
      expectRefused('*12345678901234567890\r\n', /too many digits/);
    });

    it('refuses a bulk payload not followed by CRLF', () => {
      expectRefused('$3\r\nfooX\r\n', /0x58 \('X'\) after a 3-byte bulk payload instead of CRLF at byte 7/);
      expectRefused('$3\r\nfoo\rX', /0x58 \('X'\) after a 3-byte bulk payload instead of CRLF at byte 8/);
    });

    it('refuses a bulk over maxBulkLength from its length line, before its bytes arrive', () => {
      const decoder = new RespDecoder(() => {}, { maxBulkLength: 10 });
      decoder.feed(Buffer.from('$10\r\n0123456789\r\n'));
      expect(() => decoder.feed(Buffer.from('$11\r\n'))).to.throw(PercoreError, /bulk of 11 bytes, over maxBulkLength 10 at byte 17/);
      expectRefused('$11\r\n01234567890\r\n', /over maxBulkLength 10/, { maxBulkLength: 10 });
      expectRefused('=20\r\n', /over maxBulkLength 10/, { maxBulkLength: 10 });
      expectRefused('$?\r\n;8\r\n01234567\r\n;8\r\n', /streamed string over maxBulkLength/, { maxBulkLength: 10 });
    });

    it('refuses aggregates nested deeper than maxDepth, and larger than maxElements', () => {
      expect(decode('*1\r\n*1\r\n*1\r\n:1\r\n', { maxDepth: 3 })).to.deep.equal([[[[1]]]]);
      expectRefused('*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n', /nested deeper than maxDepth 3 at byte 12/, { maxDepth: 3 });
      expectRefused('*1\r\n'.repeat(65) + ':1\r\n', /nested deeper than maxDepth 64/);
      expectRefused('*5\r\n', /5 elements, over maxElements 4/, { maxElements: 4 });
      expectRefused('%5\r\n', /5 elements, over maxElements 4/, { maxElements: 4 });
    });

    it('refuses non-digits in an integer, an empty integer and one too long', () => {
      expectRefused(':12a\r\n', /0x61 \('a'\) in an integer at byte 3/);
      expectRefused(':1.5\r\n', /0x2e \('.'\) in an integer/);
      expectRefused(':\r\n', /integer without digits/);
      expectRefused(':-\r\n', /integer without digits/);
      expectRefused(`:${'9'.repeat(1100)}\r\n`, /more than 1024 digits/);
    });

    it('refuses a CR not followed by LF, and a bare LF', () => {
      expectRefused('+OK\rX', /CR followed by 0x58 \('X'\) instead of LF at byte 4/);
      expectRefused('+O\nK\r\n', /LF without CR at byte 2/);
      expectRefused(':1\r:', /CR followed by 0x3a/);
      expectRefused('$1\r$', /CR followed by 0x24/);
    });

    it('refuses malformed RESP3 scalars', () => {
      expectRefused('#x\r\n', /0x78 \('x'\) in a boolean/);
      expectRefused('#tt\r\n', /after a boolean instead of CRLF/);
      expectRefused('_x\r\n', /0x78 \('x'\) after '_' instead of CRLF/);
      expectRefused(',1.2.3\r\n', /"1.2.3" is not a double/);
      expectRefused(',\r\n', /"" is not a double/);
      expectRefused(',0x10\r\n', /is not a double/);
      expectRefused('(12a\r\n', /is not a big number/);
      expectRefused('=3\r\ntxt\r\n', /shorter than its "xxx:" format/);
      expectRefused('=5\r\ntxt!a\r\n', /format is not followed by ':'/);
    });

    it('refuses streamed framing out of place', () => {
      expectRefused(';3\r\nabc\r\n', /';' chunk outside a streamed string at byte 0/);
      expectRefused('.\r\n', /'.' outside a streamed aggregate/);
      expectRefused('*1\r\n.\r\n', /'.' outside a streamed aggregate/);
      expectRefused('$?\r\n+x\r\n', /expected a ';' chunk of a streamed string, got 0x2b/);
      expectRefused('%?\r\n+k\r\n.\r\n', /'.' after a map key without its value/);
      expectRefused('>?\r\n', /where a length was expected/);
    });
  });

  describe('the feed contract', () => {
    it('keeps the bytes after a reply whose onReply threw, for the next feed', () => {
      const replies: RespValue[] = [];
      const decoder = new RespDecoder((value) => {
        replies.push(value);
        if (value === 'boom') throw new Error('handler failed');
      });
      expect(() => decoder.feed(Buffer.from('+boom\r\n:1\r\n:2'))).to.throw('handler failed');
      expect(decoder.pending).to.equal(true);
      decoder.feed(Buffer.from('\r\n'));
      expect(replies).to.deep.equal(['boom', 1, 2]);
    });

    it('queues a feed made from inside onReply after the current chunk', () => {
      const replies: RespValue[] = [];
      const decoder = new RespDecoder((value) => {
        replies.push(value);
        if (value === 'first') decoder.feed(Buffer.from(':3\r\n'));
      });
      decoder.feed(Buffer.from('+first\r\n:2\r\n'));
      expect(replies).to.deep.equal(['first', 2, 3]);
    });

    it('forgets a partial value on reset, and stops a feed under way when onReply resets', () => {
      const replies: RespValue[] = [];
      const decoder = new RespDecoder((value) => {
        replies.push(value);
        if (value === 'reset') decoder.reset();
      });
      decoder.feed(Buffer.from('*2\r\n:1\r\n$5\r\nab'));
      expect(decoder.pending).to.equal(true);
      decoder.reset();
      expect(decoder.pending).to.equal(false);
      decoder.feed(Buffer.from('+reset\r\n:9\r\n'));
      expect(decoder.pending).to.equal(false);
      decoder.feed(Buffer.from(':4\r\n'));
      expect(replies).to.deep.equal(['reset', 4]);
    });

    it('refuses bad options', () => {
      expect(() => new RespDecoder(() => {}, { maxDepth: 0 })).to.throw(PercoreError, /maxDepth must be a positive integer/);
      expect(() => new RespDecoder(() => {}, { maxBulkLength: 1.5 })).to.throw(PercoreError, /maxBulkLength/);
      expect(() => new RespDecoder(() => {}, { bulkAs: 'text' as 'string' })).to.throw(PercoreError, /bulkAs/);
    });
  });
});
