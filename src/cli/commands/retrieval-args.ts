import type { FusionConfig, RetrieverName } from '../../core/retrieve/types';
import { UsageError } from '../cli-context';

/** bm25 is the CLI's name for the keyword retriever. */
export function retrieverFromArg(v: string | undefined): RetrieverName {
  const map: Record<string, RetrieverName> = { bm25: 'keyword', keyword: 'keyword', dense: 'dense', hybrid: 'hybrid', rerank: 'rerank' };
  const r = map[v ?? 'bm25'];
  if (!r) throw new UsageError(`--retriever must be bm25, dense, hybrid or rerank, got "${v}"`);
  return r;
}

export function fusionFromArgs(values: { fusion?: string; 'rrf-k'?: string; 'dense-weight'?: string }): Partial<FusionConfig> {
  const fusion: Partial<FusionConfig> = {};
  if (values.fusion !== undefined) {
    if (values.fusion !== 'rrf' && values.fusion !== 'weighted') throw new UsageError(`--fusion must be rrf or weighted, got "${values.fusion}"`);
    fusion.method = values.fusion;
  }
  if (values['rrf-k'] !== undefined) {
    const k = Number(values['rrf-k']);
    if (!(k > 0)) throw new UsageError(`--rrf-k must be a positive number, got "${values['rrf-k']}"`);
    fusion.rrfK = k;
  }
  if (values['dense-weight'] !== undefined) {
    const w = Number(values['dense-weight']);
    if (!(w >= 0 && w <= 1)) throw new UsageError(`--dense-weight must be within [0, 1], got "${values['dense-weight']}"`);
    fusion.denseWeight = w;
  }
  return fusion;
}
