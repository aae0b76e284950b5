/**
 * One cell of `pnpm bench resp-client` in a fresh process, so that no client runs on code warmed,
 * or a heap filled, by another: `node worker.js '<CellSpec as JSON>'` prints a CellMeasurement as JSON.
 */
import { CLIENT_IDS, connectClient, type ClientId } from './clients.js';
import { measureCell, type CellSettings } from './measure.js';

export interface CellSpec extends CellSettings {
  client: ClientId;
  port: number;
}

async function main(spec: CellSpec): Promise<void> {
  if (!CLIENT_IDS.includes(spec.client)) throw new Error(`unknown client "${spec.client}"`);
  const client = await connectClient(spec.client, spec.port);
  try {
    const measurement = await measureCell(client, spec);
    process.stdout.write(`${JSON.stringify(measurement)}\n`);
  } finally {
    await client.close();
  }
}

main(JSON.parse(process.argv[2] ?? '{}') as CellSpec).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
