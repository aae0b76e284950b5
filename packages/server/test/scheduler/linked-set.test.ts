import { expect } from 'chai';
import { LinkedSet } from '../../src/scheduler/linked-set.js';

describe('LinkedSet', () => {
  it('keeps insertion order and counts what it holds', () => {
    const set = new LinkedSet<string>();
    const entries = ['a', 'b', 'c', 'd'].map((value) => set.add(value));
    expect([...set]).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(set.size).to.equal(4);
    expect(entries.map((entry) => entry.value)).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('deletes the head, the tail and the middle through their entries, each once', () => {
    const set = new LinkedSet<number>();
    const [one, two, three, four] = [1, 2, 3, 4].map((value) => set.add(value));
    expect(set.delete(two!)).to.equal(true);
    expect([...set]).to.deep.equal([1, 3, 4]);
    expect(set.delete(one!)).to.equal(true);
    expect(set.delete(four!)).to.equal(true);
    expect([...set]).to.deep.equal([3]);
    expect(set.delete(two!), 'a second delete').to.equal(false);
    expect(set.size).to.equal(1);
    expect(set.delete(three!)).to.equal(true);
    expect([...set]).to.deep.equal([]);
    expect(set.size).to.equal(0);
    set.add(5);
    expect([...set], 'usable after emptying').to.deep.equal([5]);
  });

  it("refuses another set's entry", () => {
    const mine = new LinkedSet<string>();
    const theirs = new LinkedSet<string>();
    mine.add('x');
    const foreign = theirs.add('y');
    expect(mine.delete(foreign)).to.equal(false);
    expect(mine.size).to.equal(1);
    expect([...theirs]).to.deep.equal(['y']);
  });

  it('iterates over a snapshot, so values may be deleted (or added) while it runs', () => {
    const set = new LinkedSet<number>();
    const entries = [1, 2, 3, 4].map((value) => set.add(value));
    const seen: number[] = [];
    for (const value of set) {
      seen.push(value);
      set.delete(entries[value - 1]!);
      if (value === 1) set.delete(entries[2]!);
      if (value === 2) set.add(9);
    }
    expect(seen).to.deep.equal([1, 2, 3, 4]);
    expect([...set]).to.deep.equal([9]);
  });

  it('lets a deleted entry go of its neighbours', () => {
    const set = new LinkedSet<string>();
    set.add('a');
    const middle = set.add('b');
    set.add('c');
    set.delete(middle);
    expect(middle.prev).to.equal(null);
    expect(middle.next).to.equal(null);
    expect(middle.owner).to.equal(null);
  });
});
