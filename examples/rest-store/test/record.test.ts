import { expect } from 'chai';
import { encodeRecord, MAGIC, recover, type LogOp } from '../src/record.js';

const ops: LogOp[] = [
  { op: 'put', id: 'a', value: '{"n":1}' },
  { op: 'put', id: 'b', value: '"two"' },
  { op: 'del', id: 'a' },
  { op: 'put', id: 'b', value: '[3,"drei"]' },
  { op: 'put', id: 'ü', value: '"non-ASCII ✓"' },
];

/** The state after the first `count` operations, replayed directly. */
function replay(count: number): Map<string, string> {
  const items = new Map<string, string>();
  for (const entry of ops.slice(0, count)) {
    if (entry.op === 'put') items.set(entry.id, entry.value);
    else items.delete(entry.id);
  }
  return items;
}

const records = ops.map(encodeRecord);
const file = Buffer.concat([MAGIC, ...records]);
/** Where each record ends in `file`. */
const ends = records.map((_, i) => MAGIC.length + records.slice(0, i + 1).reduce((sum, r) => sum + r.length, 0));

describe('rest-store record log', function () {
  it('replays a whole log', function () {
    const result = recover(file);
    expect([...result.items]).to.deep.equal([...replay(ops.length)]);
    expect(result).to.include({ records: ops.length, validBytes: file.length, droppedBytes: 0, foreign: false });
  });

  it('cut at every byte: keeps the whole records before the cut, drops the torn one, never throws', function () {
    for (let cut = 0; cut <= file.length; cut++) {
      const result = recover(file.subarray(0, cut));
      const whole = ends.filter((end) => end <= cut).length;
      const validBytes = cut < MAGIC.length ? 0 : whole === 0 ? MAGIC.length : ends[whole - 1]!;
      expect([...result.items], `cut at ${cut}`).to.deep.equal([...replay(whole)]);
      expect(result, `cut at ${cut}`).to.include({ records: whole, validBytes, droppedBytes: cut - validBytes, foreign: false });
    }
  });

  it('a flipped byte in the last record drops that record only', function () {
    for (let at = ends.at(-2)!; at < file.length; at++) {
      const damaged = Buffer.from(file);
      damaged[at]! ^= 0x01;
      const result = recover(damaged);
      expect([...result.items], `byte ${at}`).to.deep.equal([...replay(ops.length - 1)]);
      expect(result.droppedBytes, `byte ${at}`).to.equal(records.at(-1)!.length);
    }
  });

  it('a length past the bound is taken as a torn header', function () {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(0xffffffff, 0);
    const result = recover(Buffer.concat([file, header, Buffer.from('xxxx')]));
    expect(result).to.include({ records: ops.length, validBytes: file.length, droppedBytes: 12 });
    expect(result.reason).to.match(/over the bound/);
  });

  it('a file that does not start with the magic is foreign, not empty', function () {
    expect(recover(Buffer.from('{"a":1}')).foreign).to.equal(true);
    expect(recover(Buffer.from('PRST')).foreign).to.equal(false);
    expect(recover(Buffer.alloc(0))).to.include({ foreign: false, droppedBytes: 0, records: 0 });
  });
});
