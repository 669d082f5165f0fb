import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { semanticShareItem } from '../../../../src/core/diagnose/checklist-rules';
import { checklistItem, type ChecklistItem, type TickState } from '../../../../src/core/eval/evidence-bar';
import type { FailureCategory, Miss } from '../../../../src/core/diagnose/diagnose-misses';
import { GAIN_ITEM, readinessVerdict } from '../../../../src/core/diagnose/readiness-verdict';

type M = Pick<Miss, 'category' | 'whatIf'>;
const misses = (counts: Partial<Record<FailureCategory, number>>): M[] => Object.entries(counts).flatMap(([c, n]) => Array.from({ length: n ?? 0 }, () => ({ category: c as FailureCategory })));
const item = (name: string, state: TickState) => checklistItem(name, state, `${name} detail`, { figure: 'f', bar: 'b' }, state === 'met' ? undefined : `settle ${name}`);

/** The checklist the report builds, reduced to what the verdict reads: the semantic-share item from the same misses. */
function checklist(m: M[], states: { gain: TickState; pairs: TickState; split: TickState }, evalQueries = 30): ChecklistItem[] {
  return [
    item('Baseline measured', 'met'),
    semanticShareItem({ semantic: m.filter((x) => x.category === 'semantic').length, misses: m.length, evalQueries }),
    item('Enough training pairs', states.pairs),
    item('Separate eval split', states.split),
    item(GAIN_ITEM, states.gain),
  ];
}

const text = (v: { headline: string; reasons: string[] }) => [v.headline, ...v.reasons].join('\n');

describe('the readiness verdict never contradicts its checklist', () => {
  it('a ticked expected gain under "not justified" is said to be the adapter\'s, with what blocks fine-tuning', () => {
    const m = misses({ 'exact-match': 7, chunking: 1, semantic: 2 });
    const list = checklist(m, { gain: 'met', pairs: 'not-met', split: 'met' });
    const v = readinessVerdict({ misses: m, checklist: list });
    assert.equal(v.justified, false);
    assert.match(v.headline, /^Fine-tuning not justified yet — fix exact-match first/);
    assert.ok(v.reasons.includes('7 misses are exact-match: ' + 'use hybrid (keyword + dense) search: the query holds an exact token (a code, ID, version, name) that dense embeddings blur'));
    assert.ok(v.reasons.some((r) => r.startsWith('1 miss is chunking: ')), v.reasons.join('\n'));
    assert.ok(v.reasons.includes('Checklist: 2 of 5 items not met — remaining failures are semantic; enough training pairs'));
    assert.ok(v.reasons.includes(`${GAIN_ITEM} is met for the query adapter (no re-embedding): try the adapter first; it is not a case for fine-tuning a model while these items are not met: remaining failures are semantic; enough training pairs`));
  });

  it('justified only when every item is met and the remaining failures are mostly semantic', () => {
    const m = misses({ semantic: 8, ranking: 2 });
    assert.deepEqual(readinessVerdict({ misses: m, checklist: checklist(m, { gain: 'met', pairs: 'met', split: 'met' }) }), {
      justified: true,
      headline: 'Fine-tuning justified',
      reasons: ['8 misses of 10 survive chunking, filters, hybrid, reranking and model changes'],
    });
    const unsettled = readinessVerdict({ misses: m, checklist: checklist(m, { gain: 'not-settled', pairs: 'met', split: 'met' }) });
    assert.equal(unsettled.justified, false);
    assert.equal(unsettled.headline, 'Fine-tuning not justified yet — expected gain justifies cost and latency (not settled)');
  });

  it('nothing missed: not justified, and the items that say so are named', () => {
    const v = readinessVerdict({ misses: [], checklist: checklist([], { gain: 'met', pairs: 'met', split: 'met' }) });
    assert.equal(v.headline, 'Fine-tuning not justified: the baseline finds every labeled span');
    assert.ok(v.reasons.includes('Checklist: 1 of 5 items not met — remaining failures are semantic'));
    assert.ok(v.reasons.some((r) => r.startsWith(`${GAIN_ITEM} is met for the query adapter`)));
  });

  it('a what-if refinement is named in the verdict\'s count', () => {
    const m: M[] = [...misses({ lexical: 2 }), { category: 'chunking', whatIf: { variant: 'chunker sentence-window', baseCategory: 'lexical', baseEvidence: 'e', baseVerified: true } }];
    const v = readinessVerdict({ misses: m, checklist: checklist(m, { gain: 'not-met', pairs: 'met', split: 'met' }) });
    assert.ok(v.reasons.some((r) => r.startsWith('1 miss is chunking (1 found by a what-if index; without what-ifs: lexical): ')), v.reasons.join('\n'));
    assert.ok(v.reasons.includes('2 misses are lexical: use hybrid (keyword + dense) search, or a stronger base embedding model: keyword search finds it by shared words and this dense model does not'));
  });

  it('in every combination: justified exactly when all items are met; otherwise every unmet item is named; plurals right', () => {
    const states: TickState[] = ['met', 'not-met', 'not-settled'];
    const shapes: Array<Partial<Record<FailureCategory, number>>> = [{}, { semantic: 1 }, { semantic: 12 }, { semantic: 5, 'exact-match': 5 }, { semantic: 4, lexical: 1 }, { ranking: 1 }, { semantic: 3, fusion: 7 }, { chunking: 2, 'missing-document': 1, semantic: 1 }];
    let n = 0;
    for (const shape of shapes) {
      const m = misses(shape);
      for (const gain of states) for (const pairs of states) for (const split of states) {
        const list = checklist(m, { gain, pairs, split }, 8);
        const v = readinessVerdict({ misses: m, checklist: list });
        const all = text(v);
        const blockers = list.filter((c) => c.state !== 'met');
        assert.equal(v.justified, blockers.length === 0, `${JSON.stringify(shape)} ${gain}/${pairs}/${split}: justified only with every item met`);
        if (v.justified) assert.equal(v.headline, 'Fine-tuning justified');
        else {
          assert.match(v.headline, /^Fine-tuning not justified/);
          for (const b of blockers) assert.ok(all.toLowerCase().includes(b.item.toLowerCase()), `${JSON.stringify(shape)}: "${b.item}" (${b.state}) is named under a not-justified verdict:\n${all}`);
          if (gain === 'met') assert.ok(v.reasons.some((r) => r.startsWith(`${GAIN_ITEM} is met for the query adapter`)), all);
        }
        assert.doesNotMatch(all, /\((e?s)\)|\b1 misses\b|\b1 items\b|\b[02-9] miss\b/, all);
        n++;
      }
    }
    assert.equal(n, shapes.length * 27);
  });
});
