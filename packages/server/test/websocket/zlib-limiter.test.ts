/** The process-wide cap on concurrent async zlib jobs. */
import { expect } from 'chai';
import { ZlibLimiter, sharedZlibLimiter } from '../../src/websocket/zlib-limiter.js';

describe('websocket/zlib-limiter', () => {
  it('never runs more than `concurrency` jobs at once, and starts them in FIFO order', async () => {
    const limiter = new ZlibLimiter(3);
    const started: number[] = [];
    let active = 0;
    let peak = 0;
    const all: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      all.push(
        new Promise((resolve) =>
          limiter.add((done) => {
            started.push(i);
            active++;
            peak = Math.max(peak, active);
            expect(limiter.active).to.equal(active);
            // Finish after a varying number of turns, so jobs do not end in start order.
            setTimeout(
              () => {
                active--;
                done();
                resolve();
              },
              (i * 7) % 5,
            );
          }),
        ),
      );
    }
    expect(limiter.active).to.equal(3);
    expect(limiter.queued).to.equal(17);
    await Promise.all(all);
    expect(peak).to.equal(3);
    expect(started).to.deep.equal([...Array(20).keys()]);
    expect(limiter.active).to.equal(0);
    expect(limiter.queued).to.equal(0);
  });

  it('ignores a second call of done', async () => {
    const limiter = new ZlibLimiter(1);
    let release: () => void = () => {};
    limiter.add((done) => (release = done));
    let secondRan = false;
    limiter.add((done) => {
      secondRan = true;
      setTimeout(done, 5);
    });
    let thirdRan = false;
    limiter.add(() => (thirdRan = true));
    release();
    release();
    expect(secondRan).to.equal(true);
    expect(thirdRan).to.equal(false);
    expect(limiter.active).to.equal(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(thirdRan).to.equal(true);
  });

  it('keeps a flat stack when many jobs finish synchronously', () => {
    const limiter = new ZlibLimiter(1);
    let ran = 0;
    for (let i = 0; i < 100_000; i++) {
      limiter.add((done) => {
        ran++;
        done();
      });
    }
    expect(ran).to.equal(100_000);
    expect(limiter.active).to.equal(0);
  });

  it('starts queued jobs when the cap is raised', () => {
    const limiter = new ZlibLimiter(1);
    const running: number[] = [];
    for (let i = 0; i < 4; i++) limiter.add(() => running.push(i));
    expect(running).to.deep.equal([0]);
    limiter.concurrency = 3;
    expect(running).to.deep.equal([0, 1, 2]);
  });

  it('shares one limiter per process; the latest concurrency wins', () => {
    const first = sharedZlibLimiter(10);
    const second = sharedZlibLimiter(4);
    expect(second).to.equal(first);
    expect(first.concurrency).to.equal(4);
    sharedZlibLimiter(10);
    expect(first.concurrency).to.equal(10);
  });
});
