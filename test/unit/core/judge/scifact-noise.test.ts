import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ChatClient } from '../../../../src/core/embed/chat-client';
import { sha256 } from '../../../../src/core/corpus/build-document';
import { loadEvalTarget } from '../../../../src/core/eval/eval-target';
import type { EvalQuery, Grade } from '../../../../src/core/eval/evalset-types';
import { seededRandom } from '../../../../src/core/eval/significance';
import { measureAgreement, VALIDATION_RULE } from '../../../../src/core/judge/agreement';
import { AnswerCache } from '../../../../src/core/judge/answer-cache';
import { judgeId } from '../../../../src/core/judge/judge-labels';
import { runJudge, type JudgePair } from '../../../../src/core/judge/run-judge';
import { environmentSecrets } from '../../../../src/core/io/secret-source';
import { chatCompletionsStandIn } from '../../../helpers/chat-completions-stand-in';
import { scifactDir, skipUnlessShared } from '../../../helpers/shared';

/**
 * SciFact: the human grades are its qrels (relevant: grade 1), with documents outside them taken as not relevant
 * (grade 0, as trec_eval scores unjudged documents) for a seeded sample of other documents per query. A judge
 * stand-in answers each pair from those qrels, but with probability `noise` (decided by a hash of the pair, so it
 * is fixed) gives the other grade (0 for 1, 1 for 0). The κ such a judge should get follows from the noise and the
 * human grades' marginal m alone: E[O] = (1 − p)·diag(m) + p·(m flipped), κ = 1 − Σ w·E[O] / Σ w·m ⊗ colsum(E[O]).
 * The measured κ must match it, and the verdict must switch from unvalidated to validated where κ crosses 0.6.
 */
function expectedKappa(m: number[], p: number): number {
  const k = 4;
  const flip = (i: number) => (i === 0 ? 1 : i === 1 ? 0 : i);
  const o = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (m[i] ?? 0) * ((i === j ? 1 - p : 0) + (j === flip(i) && j !== i ? p : 0))));
  const rows = o.map((r) => r.reduce((s, x) => s + x, 0));
  const cols = Array.from({ length: k }, (_, j) => o.reduce((s, r) => s + r[j], 0));
  let num = 0;
  let den = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = (i - j) ** 2;
      num += w * o[i][j];
      den += w * rows[i] * cols[j];
    }
  }
  return 1 - num / den;
}

/** A number in [0, 1) fixed by the text (the stand-in's coin for a pair). */
function coin(text: string, salt: string): number {
  return parseInt(sha256(`${salt}\u0000${text}`).slice(0, 12), 16) / 2 ** 48;
}

describe('the judge against SciFact qrels with a stated noise rate', () => {
  it('gives the κ the noise implies, and the verdict switches at κ = 0.6', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const target = await loadEvalTarget(scifactDir() as string);
    const docs = new Map(target.corpus.documents.map((d) => [d.id, d]));
    const ids = [...docs.keys()];
    const rand = seededRandom(24);
    const queries: EvalQuery[] = target.queries.slice(0, 120).map((q) => {
      const relevant = q.judgments.filter((j) => j.grade > 0).map((j) => j.target.docId);
      const others = new Set<string>();
      while (others.size < 4) {
        const id = ids[Math.floor(rand() * ids.length)];
        if (!relevant.includes(id)) others.add(id);
      }
      return { ...q, judgments: [...relevant.map((docId) => ({ grade: 1 as Grade, target: { type: 'document' as const, docId } })), ...[...others].map((docId) => ({ grade: 0 as Grade, target: { type: 'document' as const, docId } }))] };
    });
    const truth = new Map<string, Grade>();
    const pairs: JudgePair[] = [];
    for (const q of queries) {
      for (const j of q.judgments) {
        const passage = docs.get(j.target.docId)?.text as string;
        truth.set(`${q.text}\u0000${passage}`, j.grade);
        pairs.push({ queryId: q.id, query: q.text, passage, target: j.target });
      }
    }
    const m = [0, 1].map((g) => pairs.filter((p) => truth.get(`${p.query}\u0000${p.passage}`) === g).length / pairs.length);

    const results: Array<{ noise: number; kappa: number; expected: number; validated: boolean }> = [];
    for (const noise of [0.05, 0.1, 0.2, 0.3]) {
      const salt = `noise ${noise}`;
      const server = await chatCompletionsStandIn({
        answer: (query, passage) => {
          const g = truth.get(`${query}\u0000${passage}`);
          if (g === undefined) return 'unknown pair';
          return `Grade: ${coin(`${query}\u0000${passage}`, salt) < noise ? 1 - g : g}`;
        },
      });
      try {
        const client = await ChatClient.create('stand-in', { type: 'openai', url: `${server.url}/v1`, model: `noisy-${noise}`, concurrency: 8 }, environmentSecrets);
        const run = await runJudge(pairs, client, AnswerCache.load(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-scifact-judge-')), 'a.jsonl')));
        assert.equal(run.malformed.length, 0);
        assert.equal(run.labels.length, pairs.length);
        const a = measureAgreement(queries, run.labels, judgeId(run.labels[0].source));
        assert.equal(a.pairs, pairs.length);
        results.push({ noise, kappa: a.kappa, expected: expectedKappa(m, noise), validated: a.validation.validated });
        assert.equal(a.validation.validated, a.kappa >= VALIDATION_RULE.minKappa);
      } finally {
        await server.close();
      }
    }
    for (const r of results) assert.ok(Math.abs(r.kappa - r.expected) < 0.07, `noise ${r.noise}: κ ${r.kappa.toFixed(3)}, the noise implies ${r.expected.toFixed(3)}`);
    // Less noise, more agreement; validated at low noise, not at high: the verdict switches between.
    assert.ok(results.every((r, i) => i === 0 || r.kappa < results[i - 1].kappa));
    assert.deepEqual(results.map((r) => r.validated), [true, true, false, false], results.map((r) => `${r.noise}: ${r.kappa.toFixed(3)}`).join(', '));
  });
});
