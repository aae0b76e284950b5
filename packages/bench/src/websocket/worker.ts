/**
 * One cell of `pnpm bench websocket` in a fresh process (pinned like the bench), so that no row
 * runs on a heap or code warmed by another: `node worker.js '<RowSpec as JSON>'` prints its RowResult as JSON.
 */
import { ROW_IDS, runRow, type RowSpec } from './measure.js';

async function main(spec: RowSpec): Promise<void> {
  if (!ROW_IDS.includes(spec.row)) throw new Error(`unknown row "${String(spec.row)}"`);
  const result = await runRow(spec);
  if (result.row === 'echo' && result.matched !== result.echoes) {
    throw new Error(`${result.echoes - result.matched} of ${result.echoes} echoes differed from the message sent`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main(JSON.parse(process.argv[2] ?? '{}') as RowSpec).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
