import { expect } from 'chai';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_FILE, LogStore } from '../src/log-store.js';
import { recover } from '../src/record.js';

describe('rest-store LogStore', function () {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'rest-store-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  for (const fsync of [true, false]) {
    it(`keeps puts and deletes across a reopen (fsync ${fsync ? 'on' : 'off'})`, async function () {
      const store = await LogStore.open({ dir, fsync });
      expect(await store.put('a', '1')).to.equal('created');
      expect(await store.put('b', '2')).to.equal('created');
      expect(await store.put('a', '3')).to.equal('replaced');
      expect(await store.delete('b')).to.equal(true);
      expect(await store.delete('b')).to.equal(false);
      expect(store.list()).to.equal('{"a":3}');
      await store.close();
      const again = await LogStore.open({ dir });
      expect(again.list()).to.equal('{"a":3}');
      expect(again.recovered).to.include({ records: 5, droppedBytes: 0 });
      await again.close();
    });
  }

  it('writes queued together land in log order: the last one wins', async function () {
    const store = await LogStore.open({ dir });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(`k${i % 5}`, String(i))));
    expect(results.filter((r) => r === 'created')).to.have.length(5);
    expect(JSON.parse(store.list())).to.deep.equal({ k0: 45, k1: 46, k2: 47, k3: 48, k4: 49 });
    await store.close();
    const again = await LogStore.open({ dir });
    expect(JSON.parse(again.list())).to.deep.equal({ k0: 45, k1: 46, k2: 47, k3: 48, k4: 49 });
    await again.close();
  });

  it('a value is not visible before its write is done', async function () {
    const store = await LogStore.open({ dir });
    const written = store.put('a', '1');
    expect(store.get('a')).to.equal(undefined);
    await written;
    expect(store.get('a')).to.equal('1');
    await store.close();
  });

  it('drops a torn tail at start-up and rewrites the file clean', async function () {
    const store = await LogStore.open({ dir });
    await store.put('a', '"kept"');
    await store.close();
    await appendFile(join(dir, LOG_FILE), Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 0x5b, 0x22]));
    const again = await LogStore.open({ dir });
    expect(again.recovered.droppedBytes).to.equal(10);
    expect(again.list()).to.equal('{"a":"kept"}');
    expect(recover(await readFile(join(dir, LOG_FILE)))).to.include({ records: 1, droppedBytes: 0 });
    await again.close();
  });

  it('compacts past the bound, between batches, without losing a write', async function () {
    const store = await LogStore.open({ dir, compactBytes: 4096 });
    for (let i = 0; i < 400; i++) await store.put(`k${i % 3}`, JSON.stringify({ i, pad: 'x'.repeat(20) }));
    const size = (await stat(join(dir, LOG_FILE))).size;
    // 400 records of ~50 bytes would be ~20 KiB uncompacted; the bound keeps it near 4 KiB.
    expect(size).to.be.below(4096 + 200);
    await store.close();
    const again = await LogStore.open({ dir });
    expect(Object.keys(JSON.parse(again.list()) as object)).to.have.members(['k0', 'k1', 'k2']);
    expect(JSON.parse(again.get('k0')!) as object).to.deep.include({ i: 399 });
    expect(JSON.parse(again.get('k1')!) as object).to.deep.include({ i: 397 });
    await again.close();
  });

  it('refuses a new id past maxItems, still replaces an old one', async function () {
    const store = await LogStore.open({ dir, maxItems: 2 });
    await store.put('a', '1');
    await store.put('b', '1');
    expect(await store.put('c', '1')).to.equal('full');
    expect(await store.put('a', '2')).to.equal('replaced');
    await store.close();
  });

  it('refuses to open, and leaves alone, a file that is not its log', async function () {
    await writeFile(join(dir, LOG_FILE), '{"precious":true}');
    let failure: unknown;
    await LogStore.open({ dir }).catch((error: unknown) => (failure = error));
    expect(String(failure)).to.match(/not a rest-store log/);
    expect(await readFile(join(dir, LOG_FILE), 'utf8')).to.equal('{"precious":true}');
  });
});
