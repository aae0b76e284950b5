/**
 * Option values the bench modes' CLIs share: numbers in a range, taskset CPU lists, and lists of
 * known names. Each mode binds them to its own usage error, so its messages stay its own.
 */
export interface CliValues {
  /** `fallback` when not given; else a finite number that passes `check` (`what` says which, in the error). */
  number(text: string | undefined, name: string, fallback: number, check: (n: number) => boolean, what: string): number;
  /** A taskset CPU list such as 1, 0,2 or 2-7. */
  cpuList(text: string | undefined, name: string, fallback: string): string;
  /** A comma-separated list of `known` names, none twice; all of them when not given. */
  listOf<T extends string>(text: string | undefined, name: string, known: readonly T[]): T[];
}

export function cliValues(usageError: (message: string) => Error): CliValues {
  return {
    number(text, name, fallback, check, what) {
      if (text === undefined) return fallback;
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value) || !check(value)) throw usageError(`${name} takes ${what}, got "${text}"`);
      return value;
    },
    cpuList(text, name, fallback) {
      if (text === undefined) return fallback;
      if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) throw usageError(`${name} takes a CPU list such as 1, 0,2 or 2-7, got "${text}"`);
      return text;
    },
    listOf<T extends string>(text: string | undefined, name: string, known: readonly T[]): T[] {
      if (text === undefined) return [...known];
      const items = text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
      if (items.length === 0) throw usageError(`${name} is empty`);
      const seen = new Set<string>();
      for (const item of items) {
        if (!(known as readonly string[]).includes(item)) throw usageError(`${name}: unknown "${item}"; choose from ${known.join(', ')}`);
        if (seen.has(item)) throw usageError(`${name}: "${item}" is given twice`);
        seen.add(item);
      }
      return items as T[];
    },
  };
}
