/** `npm run bench`: every bench/*.bench.ts in its own process (so peak RSS is per benchmark), one after another. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = path.resolve(__dirname, '..', 'bench');
const only = process.argv[2];
let failed = 0;
for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.bench.ts')).sort()) {
  if (only && !f.includes(only)) continue;
  console.log(`\n=== ${f} (${new Date().toISOString()})`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', path.join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
