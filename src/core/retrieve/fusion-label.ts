import type { FusionConfig } from './types';

/** "weighted min-max, dense weight 0.2" or "RRF k=60": how a hybrid result was fused, for people. */
export function describeFusion(f: FusionConfig): string {
  return f.method === 'rrf' ? `RRF k=${f.rrfK}` : `weighted ${f.normalization}, dense weight ${f.denseWeight}`;
}
