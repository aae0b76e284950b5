import { expect } from 'chai';
import { PercoreError } from '../../src/errors.js';
import { Timer, TimerWheel } from '../../src/scheduler/timer-wheel.js';

/** A wheel on a clock the test moves by hand. */
function fakeWheel(options: { resolutionMs?: number; slotCount?: number } = {}) {
  let now = 0;
  const errors: unknown[] = [];
  const wheel = new TimerWheel({ ...options, now: () => now, onError: (error) => errors.push(error) });
  return {
    wheel,
    errors,
    /** Moves the clock forward and lets the wheel catch up, as its Node timer would. */
    advanceTo(ms: number) {
      now = ms;
      wheel.advance();
    },
  };
}

function recorder(log: string[], name: string, onFire?: () => void): Timer {
  return new Timer({
    onTimer: () => {
      log.push(name);
      onFire?.();
    },
  });
}

describe('TimerWheel', () => {
  it('fires timers in deadline order, at tick resolution', () => {
    const { wheel, advanceTo } = fakeWheel({ resolutionMs: 10 });
    const log: string[] = [];
    wheel.schedule(recorder(log, 'c'), 300);
    wheel.schedule(recorder(log, 'a'), 100);
    wheel.schedule(recorder(log, 'b'), 200);
    for (let ms = 0; ms <= 400; ms += 5) advanceTo(ms);
    expect(log).to.deep.equal(['a', 'b', 'c']);
    expect(wheel.size).to.equal(0);
  });

  it('fires timers due in the same tick in the order they were scheduled', () => {
    const { wheel, advanceTo } = fakeWheel({ resolutionMs: 10 });
    const log: string[] = [];
    for (const name of ['first', 'second', 'third']) wheel.schedule(recorder(log, name), 50);
    advanceTo(100);
    expect(log).to.deep.equal(['first', 'second', 'third']);
  });

  it('never fires early, and fires within two ticks of the deadline', () => {
    const { wheel, advanceTo } = fakeWheel({ resolutionMs: 10 });
    let firedAt = -1;
    let clock = 0;
    wheel.schedule(new Timer({ onTimer: () => (firedAt = clock) }), 95);
    for (clock = 0; clock <= 200 && firedAt < 0; clock++) advanceTo(clock);
    expect(firedAt).to.be.at.least(95);
    expect(firedAt).to.be.at.most(95 + 20);
  });

  it('cancels a timer so that it never fires', () => {
    const { wheel, advanceTo } = fakeWheel();
    const log: string[] = [];
    const timer = recorder(log, 'cancelled');
    wheel.schedule(timer, 100);
    wheel.schedule(recorder(log, 'kept'), 100);
    expect(wheel.size).to.equal(2);
    wheel.cancel(timer);
    wheel.cancel(timer); // cancelling twice is harmless
    expect(timer.scheduled).to.equal(false);
    expect(wheel.size).to.equal(1);
    advanceTo(1000);
    expect(log).to.deep.equal(['kept']);
  });

  it('reschedules a timer: it fires once, at the new deadline', () => {
    const { wheel, advanceTo } = fakeWheel({ resolutionMs: 10 });
    const log: string[] = [];
    const timer = recorder(log, 'moved');
    wheel.schedule(timer, 50);
    wheel.schedule(timer, 300);
    expect(wheel.size).to.equal(1);
    advanceTo(200);
    expect(log).to.deep.equal([]);
    advanceTo(400);
    expect(log).to.deep.equal(['moved']);
    wheel.schedule(timer, 10); // reschedule after firing
    advanceTo(500);
    expect(log).to.deep.equal(['moved', 'moved']);
  });

  it('fires timers more than one turn of the wheel away at the right turn', () => {
    // 8 slots of 10 ms: one turn is 80 ms.
    const { wheel, advanceTo } = fakeWheel({ resolutionMs: 10, slotCount: 8 });
    const log: string[] = [];
    wheel.schedule(recorder(log, 'far'), 500);
    wheel.schedule(recorder(log, 'near'), 20);
    for (let ms = 0; ms < 490; ms += 10) advanceTo(ms);
    expect(log).to.deep.equal(['near']);
    for (let ms = 490; ms <= 540; ms += 10) advanceTo(ms);
    expect(log).to.deep.equal(['near', 'far']);
  });

  it('catches up after a stall: every due timer fires once, in order', () => {
    const { wheel, advanceTo } = fakeWheel({ resolutionMs: 10, slotCount: 16 });
    const log: string[] = [];
    for (let i = 1; i <= 5; i++) wheel.schedule(recorder(log, `t${i}`), i * 100);
    wheel.schedule(recorder(log, 'later'), 10_000);
    advanceTo(5_000); // far more than one turn (160 ms) at once
    expect(log).to.deep.equal(['t1', 't2', 't3', 't4', 't5']);
    advanceTo(10_100);
    expect(log).to.deep.equal(['t1', 't2', 't3', 't4', 't5', 'later']);
  });

  it('lets a callback cancel or reschedule another timer due in the same tick', () => {
    const { wheel, advanceTo } = fakeWheel({ resolutionMs: 10 });
    const log: string[] = [];
    const victim = recorder(log, 'victim');
    const moved = recorder(log, 'moved');
    const survivor = recorder(log, 'survivor');
    wheel.schedule(
      recorder(log, 'killer', () => {
        wheel.cancel(victim);
        wheel.schedule(moved, 100);
      }),
      50,
    );
    wheel.schedule(victim, 50);
    wheel.schedule(moved, 50);
    wheel.schedule(survivor, 50);
    advanceTo(100);
    expect(log).to.deep.equal(['killer', 'survivor']);
    advanceTo(300);
    expect(log).to.deep.equal(['killer', 'survivor', 'moved']);
    expect(wheel.size).to.equal(0);
  });

  it('isolates a throwing callback: the error is reported and other timers still fire', () => {
    const { wheel, advanceTo, errors } = fakeWheel();
    const log: string[] = [];
    wheel.schedule(
      new Timer({
        onTimer: () => {
          throw new Error('boom');
        },
      }),
      50,
    );
    wheel.schedule(recorder(log, 'after'), 50);
    advanceTo(200);
    expect(errors).to.have.length(1);
    expect((errors[0] as Error).message).to.equal('boom');
    expect(log).to.deep.equal(['after']);
  });

  it('handles 500,000 timers: schedule, reschedule, cancel, and fire exactly the rest', () => {
    const { wheel, advanceTo } = fakeWheel({ resolutionMs: 10 });
    const count = 500_000;
    let fired = 0;
    const target = { onTimer: () => fired++ };
    const timers: Timer[] = [];
    for (let i = 0; i < count; i++) {
      const timer = new Timer(target);
      timers.push(timer);
      wheel.schedule(timer, (i % 6000) + 1);
    }
    expect(wheel.size).to.equal(count);
    for (let i = 0; i < count; i += 2) wheel.schedule(timers[i]!, 7000 + (i % 1000));
    for (let i = 0; i < count; i += 4) wheel.cancel(timers[i]!);
    expect(wheel.size).to.equal(count - count / 4);
    for (let ms = 0; ms <= 9000; ms += 50) advanceTo(ms);
    expect(fired).to.equal(count - count / 4);
    expect(wheel.size).to.equal(0);
  });

  it('runs on a real clock with one Node timer, and clears', async () => {
    const wheel = new TimerWheel({ resolutionMs: 5 });
    const fired = await new Promise<number>((resolve, reject) => {
      const started = performance.now();
      wheel.schedule(new Timer({ onTimer: () => resolve(performance.now() - started) }), 30);
      setTimeout(() => reject(new Error('the wheel never fired')), 2000);
    });
    expect(fired).to.be.at.least(30);
    const log: string[] = [];
    wheel.schedule(recorder(log, 'cleared'), 10);
    wheel.clear();
    expect(wheel.size).to.equal(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(log).to.deep.equal([]);
  });

  it('refuses bad options', () => {
    expect(() => new TimerWheel({ resolutionMs: 0 }))
      .to.throw(PercoreError, /timer resolution/)
      .with.property('code', 'PERCORE_ERR_INVALID_OPTION');
    expect(() => new TimerWheel({ slotCount: 100 }))
      .to.throw(PercoreError, /power of two/)
      .with.property('code', 'PERCORE_ERR_INVALID_OPTION');
  });
});
