import { CHUNKER_DEFAULTS, createChunker } from '../src/core/chunking/chunker-registry';
import { report, scifactDocs } from './bench-lib';

/** Chunking throughput per chunker on the SciFact corpus, as MB/s and as a ratio to fixed-chars in the same run. */
async function main(): Promise<void> {
  const docs = await scifactDocs();
  const bytes = docs.reduce((s, d) => s + Buffer.byteLength(d.text), 0);
  const rows: Array<Record<string, string | number>> = [];
  let baseline = 0;
  for (const config of Object.values(CHUNKER_DEFAULTS)) {
    const chunker = createChunker(config);
    for (const d of docs.slice(0, 200)) chunker.chunk(d); // warm-up
    const best = Math.min(
      ...[0, 1, 2].map(() => {
        const t = performance.now();
        for (const d of docs) chunker.chunk(d);
        return performance.now() - t;
      }),
    );
    const mbps = bytes / 1e6 / (best / 1000);
    if (config.kind === 'fixed-chars') baseline = mbps;
    rows.push({ chunker: chunker.key, 'MB/s': mbps.toFixed(1), 'ms (best of 3)': best.toFixed(0) });
  }
  for (const r of rows) r['vs fixed-chars'] = (Number(r['MB/s']) / baseline).toFixed(2);
  report(`Chunking throughput: SciFact, ${docs.length} documents, ${(bytes / 1e6).toFixed(1)} MB`, rows);
}

void main();
