/** A command line the CLI cannot run: exit 2, one line, and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
