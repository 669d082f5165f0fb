import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';

/** Alive and not a zombie (a killed process whose parent has not reaped it yet is gone for this purpose). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Milliseconds until every pid is gone, polled every 25 ms; fails after `limit`. */
export async function goneWithin(pids: number[], limit: number): Promise<number> {
  const t0 = performance.now();
  while (pids.some(isAlive)) {
    if (performance.now() - t0 > limit + 3000) assert.fail(`still alive ${Math.round(performance.now() - t0)} ms later: ${pids.filter(isAlive).join(', ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return performance.now() - t0;
}

