import { readFileSync } from 'node:fs';

/** The text of a captured tool output in test/fixtures. */
export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}
