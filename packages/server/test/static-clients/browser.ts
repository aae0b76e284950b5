/**
 * Debian's Chromium, driven by playwright-core over the DevTools protocol. Headless, with no
 * sandbox (CI runs as root), no GPU, and none of the background traffic (component updates,
 * sync, QUIC) that would reach past 127.0.0.1. Each launch has a fresh temporary profile.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Skips the suite where Debian's chromium is not installed, printing why; with
 * PERCORE_REQUIRE_BROWSER=1 a missing browser fails instead.
 */
export function requireBrowser(context: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  const reason = `${CHROMIUM} is not installed (apt-get install chromium)`;
  if (process.env.PERCORE_REQUIRE_BROWSER === '1') throw new Error(reason);
  console.log(`      skipped: ${reason}`);
  context.skip();
}

/** `extraArgs` go after the common flags (a test certificate to trust, say). */
export function launchChromium(timeoutMs: number, extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: timeoutMs,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
