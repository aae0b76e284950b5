import { expect } from 'chai';
import { RequestParser, type RequestSink } from '../src/protocol/request-parser.js';
import { splitInlineArgs } from '../src/protocol/inline-args.js';
import { multibulk } from './support.js';

/** A sink that records commands (as latin1 strings) and protocol errors. */
function recorder(): RequestSink & { commands: string[][]; errors: string[] } {
  const sink = {
    commands: [] as string[][],
    errors: [] as string[],
    stopped: false,
    onCommand(args: Buffer[]) {
      sink.commands.push(args.map((arg) => arg.toString('latin1')));
    },
    onProtocolError(message: string) {
      sink.errors.push(message);
      sink.stopped = true;
    },
  };
  return sink;
}

const limits = { maxBulkLength: 1024 * 1024, maxArguments: 100 };

function parse(input: Buffer | string, feed: 'whole' | 'bytes', parserLimits = limits) {
  const sink = recorder();
  const parser = new RequestParser(sink, parserLimits);
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  if (feed === 'whole') parser.feed(bytes);
  else for (let i = 0; i < bytes.length; i++) parser.feed(bytes.subarray(i, i + 1));
  return { ...sink, pendingBytes: parser.pendingBytes };
}

describe('redis request parser', () => {
  for (const feed of ['whole', 'bytes'] as const) {
    describe(`fed ${feed === 'whole' ? 'whole' : 'byte by byte'}`, () => {
      it('parses pipelined multibulk commands, binary-safe', () => {
        const input = Buffer.concat([multibulk('SET', 'k', 'a\r\nb\x00'), multibulk('GET', 'k'), multibulk('PING')]);
        const { commands, errors } = parse(input, feed);
        expect(errors).to.deep.equal([]);
        expect(commands).to.deep.equal([['SET', 'k', 'a\r\nb\x00'], ['GET', 'k'], ['PING']]);
      });

      it('parses inline commands, with or without CR, and skips empty lines and empty arrays', () => {
        const { commands, errors } = parse("PING\r\nSET k \"a b\\x41\\n\"\n\r\n*0\r\n*-1\r\nECHO 'it\\'s'\r\n", feed);
        expect(errors).to.deep.equal([]);
        expect(commands).to.deep.equal([['PING'], ['SET', 'k', 'a bA\n'], ['ECHO', "it's"]]);
      });

      it('gathers a bulk string bigger than the big-bulk threshold', () => {
        const big = Buffer.alloc(100_000, 0x61);
        big[99_999] = 0x0d; // a CR inside the value is data
        const { commands, errors } = parse(Buffer.concat([multibulk('SET', 'k', big), multibulk('GET', 'k')]), feed);
        expect(errors).to.deep.equal([]);
        expect(commands.map((c) => c.length)).to.deep.equal([3, 2]);
        expect(Buffer.from(commands[0]![2]!, 'latin1').equals(big)).to.equal(true);
      });

      it('keeps an incomplete command until the rest arrives', () => {
        const { commands, pendingBytes } = parse('*2\r\n$3\r\nGET\r\n$1\r\n', feed);
        expect(commands).to.deep.equal([]);
        expect(pendingBytes).to.be.greaterThan(0);
      });
    });
  }

  it("reports Redis's protocol errors, and runs nothing after one", () => {
    const cases: Array<[string, string]> = [
      ['*1\r\n!4\r\nPING\r\n', "expected '$', got '!'"],
      ['*x\r\n', 'invalid multibulk length'],
      ['*101\r\n', 'invalid multibulk length'],
      ['*1\r\n$-1\r\n', 'invalid bulk length'],
      [`*1\r\n$${1024 * 1024 + 1}\r\n`, 'invalid bulk length'],
      ['*1\r\n$4\r\nPINGxx', 'bulk string not followed by CRLF'],
      ["SET k 'a\r\n", 'unbalanced quotes in request'],
      ['SET k "a"b\r\n', 'unbalanced quotes in request'],
    ];
    for (const [input, message] of cases) {
      const { errors, commands } = parse(input + 'PING\r\n', 'whole');
      expect(errors, JSON.stringify(input)).to.deep.equal([message]);
      expect(commands, JSON.stringify(input)).to.deep.equal([]);
    }
  });

  it('bounds a line that never ends: an inline request, or a multibulk count', () => {
    expect(parse('A'.repeat(70_000), 'whole').errors).to.deep.equal(['too big inline request']);
    expect(parse(`*${'1'.repeat(70_000)}`, 'whole').errors).to.deep.equal(['too big mbulk count string']);
  });

  it('splits inline arguments like sdssplitargs', () => {
    const split = (text: string) => splitInlineArgs(Buffer.from(text, 'latin1'))?.map((arg) => arg.toString('latin1')) ?? null;
    expect(split('  a   b\tc ')).to.deep.equal(['a', 'b', 'c']);
    expect(split('"\\t\\r\\\\\\"" \'x\'')).to.deep.equal(['\t\r\\"', 'x']);
    expect(split('""')).to.deep.equal(['']);
    expect(split('"abc')).to.equal(null);
  });
});
