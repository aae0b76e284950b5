/** The `code` of a thrown error (PERCORE_ERR_*, or a system code), if it has one. */
export function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

/** Runs `fn` and returns the code of what it threw, or 'no error'. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return errorCode(error);
  }
}
