import { loadUws } from '../../src/uws/load.js';

/**
 * For suites that need uWebSockets.js: skips them, printing the loader's reason, where no binary
 * loads on this machine (a Node or glibc the @uwsjs binaries do not cover). With
 * PERCORE_REQUIRE_UWS=1, as CI sets on the machine's own Node, a missing binary fails instead.
 */
export function requireUws(context: Mocha.Context): void {
  try {
    loadUws();
  } catch (error) {
    if (process.env.PERCORE_REQUIRE_UWS === '1') throw error;
    console.log(`      skipped: ${(error as Error).message}`);
    context.skip();
  }
}
