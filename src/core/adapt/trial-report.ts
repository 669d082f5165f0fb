import type { TrialResult } from './trial-finetune';

export interface PairAccounting {
  /** Labeled relevant judgments of the train split. */
  labeled: number;
  /** How the adapter trial used them, when it ran: fitted on, held out for early stopping, unusable and why. */
  used?: { fit: number; heldOut: number; heldOutQueries: number; noPositiveChunk: number; noVector: number };
}

/** "labeled pairs vs pairs used" in one sentence that adds up. */
export function pairsSentence(p: PairAccounting): string {
  if (!p.used) return `${p.labeled} labeled pairs in the train split`;
  const u = p.used;
  const why: string[] = [];
  if (u.heldOut) why.push(`${u.heldOut} held out for early stopping (${u.heldOutQueries} train ${u.heldOutQueries === 1 ? 'query' : 'queries'})`);
  if (u.noPositiveChunk) why.push(`${u.noPositiveChunk} with no chunk holding the label (not indexed or stale)`);
  if (u.noVector) why.push(`${u.noVector} whose chunk has no vector`);
  return `${p.labeled} labeled pairs in the train split, ${u.fit} used to fit the adapter${why.length ? `: ${why.join(', ')}` : ''}`;
}

const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
const ci = (c: [number, number]) => `[${sign(c[0])}, ${sign(c[1])}]`;

/** One line: the dense gain with its CI and p, as the CLI prints it and the readiness report quotes it. */
export function trialHeadline(r: TrialResult): string {
  return `query adapter: dense nDCG@10 ${r.baseline.ndcg_cut_10.toFixed(3)} → ${r.adapted.ndcg_cut_10.toFixed(3)} (${sign(r.delta)}, 95% CI ${ci(r.ci95)}, p = ${r.p_value.toFixed(3)}) on ${r.eval_queries} eval queries, trained on ${r.train_pairs} pairs`;
}

const curvePoints = (c: TrialResult['learning_curve']) => c.map((p) => `${Math.round(p.share * 100)}% (${p.pairs} ${p.pairs === 1 ? 'pair' : 'pairs'}${p.synthetic_pairs ? `, ${p.synthetic_pairs} synthetic` : ''}) ${sign(p.delta)}`).join(', ');

/** The learning curve(s) as the CLI prints them: one line, or with and without synthetic queries, then the readings. */
export function trialCurveLines(r: TrialResult): string[] {
  const s = r.synthetic;
  if (s.kind !== 'mixed') return [`learning curve: ${curvePoints(r.learning_curve)}`, r.learning_reading, s.reading];
  return [
    `learning curve (${s.basis}):`,
    `  with synthetic queries: ${curvePoints(r.learning_curve)}`,
    `  real queries only:      ${curvePoints(s.real_curve)}`,
    r.learning_reading,
    s.reading,
  ];
}

/** Labeled pairs vs pairs used, adding up: fitted on, held out, unusable and why. */
export function trialPairs(r: TrialResult): string {
  return pairsSentence({ labeled: r.labeled_pairs, used: { fit: r.train_pairs, heldOut: r.held_out_pairs, heldOutQueries: r.held_out_queries, noPositiveChunk: r.unused_pairs.no_positive_chunk, noVector: r.unused_pairs.no_vector } });
}

/** The trial as Markdown (CLI --markdown). */
export function renderTrialMarkdown(r: TrialResult): string {
  const L: string[] = [];
  L.push(`# Trial fine-tune: a query adapter for ${r.model.id}`, '', trialHeadline(r), '');
  L.push(
    `A linear map W (${r.model.dims} × ${r.model.dims}, started at the identity) applied to the query vector only, trained on ${r.train_pairs} labeled (query, relevant chunk) pairs of ${r.train_queries - r.held_out_queries} train queries with ${r.hard_negatives} mined hard negatives plus in-batch negatives (InfoNCE, temperature ${r.training.settings.temperature}, weight decay toward I ${r.training.settings.weightDecay}); early stopping on ${r.held_out_queries} held-out train queries (${r.held_out_pairs} pairs) chose epoch ${r.training.bestEpoch} of ${r.training.epochs}. Splits: ${r.split_source}. ${trialPairs(r)}. The eval split was used only for the numbers below.`,
    '',
  );
  L.push(`## Eval split (${r.level} level, ${r.eval_queries} queries)`, '', '| Retriever | nDCG@10 | Recall@10 | Recall@100 | MRR | Δ nDCG@10 | 95% CI | p | wins / losses / ties |', '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |');
  const row = (name: string, m: TrialResult['baseline']) => `| ${name} | ${m.ndcg_cut_10.toFixed(3)} | ${m.recall_10.toFixed(3)} | ${m.recall_100.toFixed(3)} | ${m.recip_rank.toFixed(3)} |`;
  L.push(`${row('dense', r.baseline)} — | | | |`);
  L.push(`${row('dense + adapter', r.adapted)} ${sign(r.delta)} | ${ci(r.ci95)} | ${r.p_value.toFixed(3)} | ${r.wins} / ${r.losses} / ${r.ties} |`);
  if (r.hybrid) {
    L.push(`${row('hybrid', r.hybrid.baseline)} — | | | |`);
    L.push(`${row('hybrid + adapter', r.hybrid.adapted)} ${sign(r.hybrid.delta)} | ${ci(r.hybrid.ci95)} | ${r.hybrid.p_value.toFixed(3)} | ${r.hybrid.wins} / ${r.hybrid.losses} / ${r.hybrid.ties} |`);
  }
  if (r.other_level) {
    const o = r.other_level;
    L.push('', `At ${o.level} level too (a mixed eval set is scored at both levels; ${o.eval_queries} queries):`, '', '| Retriever | nDCG@10 | Recall@10 | Recall@100 | MRR | Δ nDCG@10 | 95% CI | p | wins / losses / ties |', '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |');
    L.push(`${row('dense', o.dense.baseline)} — | | | |`, `${row('dense + adapter', o.dense.adapted)} ${sign(o.dense.delta)} | ${ci(o.dense.ci95)} | ${o.dense.p_value.toFixed(3)} | ${o.dense.wins} / ${o.dense.losses} / ${o.dense.ties} |`);
    if (o.hybrid) L.push(`${row('hybrid', o.hybrid.baseline)} — | | | |`, `${row('hybrid + adapter', o.hybrid.adapted)} ${sign(o.hybrid.delta)} | ${ci(o.hybrid.ci95)} | ${o.hybrid.p_value.toFixed(3)} | ${o.hybrid.wins} / ${o.hybrid.losses} / ${o.hybrid.ties} |`);
  }
  L.push('', 'Every measure, dense + adapter vs dense (paired randomization test, 95% bootstrap CI):', '', '| Measure | Δ | 95% CI | p |', '| --- | ---: | --- | ---: |');
  for (const [m, x] of Object.entries(r.by_measure)) L.push(`| ${m} | ${sign(x.delta)} | ${ci(x.ci95)} | ${x.p_value.toFixed(3)} |`);
  const g = r.train_vs_eval;
  L.push('', '## Train vs eval (overfitting)', '', `On its own training queries dense goes ${g.train_baseline.toFixed(3)} → ${g.train_adapted.toFixed(3)} (${sign(g.train_delta)}); on the eval split ${sign(g.eval_delta)}; gap ${sign(g.gap)}.${g.gap > Math.max(0.05, 2 * Math.abs(g.eval_delta)) ? ' The adapter fits its training queries far better than new ones: it is memorising.' : ''}`);
  L.push('', '## Learning curve', '');
  const s = r.synthetic;
  if (s && s.kind === 'mixed') {
    L.push(`With and without the synthetic (generate-queries) queries: ${s.basis}.`, '', '| Share of real pairs | Curve | Pairs (real + synthetic) | Queries | nDCG@10 | Δ | 95% CI | p | best epoch |', '| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |');
    r.learning_curve.forEach((c, i) => {
      for (const [name, p] of [['with synthetic queries', c], ['real queries only', s.real_curve[i]]] as const) {
        if (p) L.push(`| ${Math.round(p.share * 100)}% | ${name} | ${p.pairs} (${p.pairs - p.synthetic_pairs} + ${p.synthetic_pairs}) | ${p.queries} | ${p.ndcg_cut_10.toFixed(3)} | ${sign(p.delta)} | ${ci(p.ci95)} | ${p.p_value.toFixed(3)} | ${p.bestEpoch} |`);
      }
    });
    L.push('', r.learning_reading, '', s.reading, '');
  } else {
    L.push('| Share of pairs | Pairs | Queries | nDCG@10 | Δ | 95% CI | p | best epoch |', '| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |');
    for (const c of r.learning_curve) L.push(`| ${Math.round(c.share * 100)}% | ${c.pairs} | ${c.queries} | ${c.ndcg_cut_10.toFixed(3)} | ${sign(c.delta)} | ${ci(c.ci95)} | ${c.p_value.toFixed(3)} | ${c.bestEpoch} |`);
    L.push('', r.learning_reading, '');
    if (s) L.push(s.reading, '');
  }
  L.push(`## Queries it made worse (${r.worsened.length} of ${r.eval_queries})`, '');
  if (!r.worsened.length) L.push('None.');
  else {
    L.push('| Query | nDCG@10 before | after |', '| --- | ---: | ---: |');
    for (const w of r.worsened.slice(0, 25)) L.push(`| ${w.text.replace(/\|/g, '\\|')} (${w.qid}) | ${w.before.toFixed(3)} | ${w.after.toFixed(3)} |`);
    if (r.worsened.length > 25) L.push('', `…and ${r.worsened.length - 25} more (all in --json).`);
  }
  L.push('', '## Cost', '', `Applying the adapter: ${r.adapter_cost.multiply_adds.toLocaleString('en-US')} multiply-adds per query, measured ${r.adapter_cost.us_per_query.toFixed(0)} µs (median); ${(r.adapter_cost.weights_bytes / 1024).toFixed(0)} KiB of weights; no re-embedding. Training took ${(r.training.ms / 1000).toFixed(1)} s (${r.training.steps} steps), mining and vectors ${(r.training.miningMs / 1000).toFixed(1)} s.`, '');
  return L.join('\n');
}
