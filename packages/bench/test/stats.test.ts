import { expect } from 'chai';
import { median, spread } from '../src/stats.js';

describe('median', () => {
  it('takes the middle of an odd count, unsorted', () => {
    expect(median([5, 1, 3])).to.equal(3);
  });
  it('takes the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 10])).to.equal(3.5);
  });
  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).to.deep.equal([3, 1, 2]);
  });
  it('throws on an empty list', () => {
    expect(() => median([])).to.throw(/empty/);
  });
});

describe('spread', () => {
  it('gives min, max and (max - min) / median', () => {
    expect(spread([90, 100, 120])).to.deep.equal({ min: 90, max: 120, relative: 0.3 });
  });
  it('is 0 for one value', () => {
    expect(spread([42])).to.deep.equal({ min: 42, max: 42, relative: 0 });
  });
  it('throws on an empty list', () => {
    expect(() => spread([])).to.throw(/empty/);
  });
});
