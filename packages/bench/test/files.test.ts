import { expect } from 'chai';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_FILES, makeFileSet, seededBytes } from '../src/files.js';

describe('the bench file set', () => {
  it('seededBytes is the same for a seed, different across seeds, and spread over all byte values', () => {
    expect(seededBytes(4096, 7).equals(seededBytes(4096, 7))).to.equal(true);
    expect(seededBytes(4096, 7).equals(seededBytes(4096, 8))).to.equal(false);
    const seen = new Set(seededBytes(65536, 1));
    expect(seen.size).to.equal(256);
  });

  it('writes 1k.bin and 1m.bin at their sizes, readable by all, and removes them', () => {
    expect(BENCH_FILES.map((f) => [f.name, f.size])).to.deep.equal([
      ['1k.bin', 1024],
      ['1m.bin', 1048576],
    ]);
    const set = makeFileSet();
    try {
      for (const { name, size } of BENCH_FILES) {
        const stats = statSync(join(set.root, name));
        expect(stats.size, name).to.equal(size);
        expect(stats.mode & 0o444, name).to.equal(0o444);
      }
      expect(statSync(set.dir).mode & 0o755).to.equal(0o755);
      const again = makeFileSet();
      expect(readFileSync(join(again.root, '1k.bin')).equals(readFileSync(join(set.root, '1k.bin'))), 'fixed content').to.equal(true);
      again.remove();
    } finally {
      set.remove();
    }
    expect(existsSync(set.dir)).to.equal(false);
  });
});
