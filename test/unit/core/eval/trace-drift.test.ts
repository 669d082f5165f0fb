import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupTraces, isoWeek } from '../../../../src/core/eval/trace-drift';
import type { RecordedRun, RecordedTrace } from '../../../../src/core/eval/trace-store';

describe('trace drift periods', () => {
  it('ISO weeks: the Thursday decides the year (weeks 53 and 1 across New Year)', () => {
    // Checked against the ISO-8601 calendar: 2026-12-31 is a Thursday in 2026-W53; 2027-01-03 (Sunday) still in it;
    // 2024-12-30 (Monday) begins 2025-W01; 2021-01-03 (Sunday) ends 2020-W53.
    const cases: Array<[string, string]> = [
      ['2026-12-31T23:59:59Z', '2026-W53'],
      ['2027-01-03T12:00:00Z', '2026-W53'],
      ['2027-01-04T00:00:00Z', '2027-W01'],
      ['2024-12-30T00:00:00Z', '2025-W01'],
      ['2021-01-03T00:00:00Z', '2020-W53'],
      ['2026-04-27T00:00:00Z', '2026-W18'],
    ];
    for (const [d, w] of cases) assert.equal(isoWeek(new Date(d)), w, d);
  });

  it('groups in time order; undated and invalid timestamps are counted apart; by import follows the import order', () => {
    const t = (id: string, timestamp: string | undefined, file: string): RecordedTrace => ({ traceId: id, query: id, queryKey: id, retrieved: true, documents: [], feedback: [], source: { file }, ...(timestamp !== undefined ? { timestamp } : {}) });
    const run: RecordedRun = {
      file: 'run.jsonl',
      header: { kind: 'retrieval-lens.recorded-run', version: 1, name: 'prod', updatedAt: '', sources: [{ file: 'b.jsonl', format: 'jsonl', importedAt: '1', traces: 2, answersDropped: false }, { file: 'a.jsonl', format: 'jsonl', importedAt: '2', traces: 2, answersDropped: false }] },
      traces: [t('1', '2026-05-12T00:00:00Z', 'a.jsonl'), t('2', '2026-04-28T00:00:00Z', 'b.jsonl'), t('3', undefined, 'a.jsonl'), t('4', 'yesterday', 'b.jsonl')],
    };
    const week = groupTraces(run, 'week');
    assert.deepEqual(week.groups.map((g) => [g.key, g.traces.map((x) => x.traceId)]), [['2026-W18', ['2'], ], ['2026-W20', ['1']]]);
    assert.equal(week.undated, 2);
    assert.deepEqual(groupTraces(run, 'day').groups.map((g) => g.key), ['2026-04-28', '2026-05-12']);
    const imp = groupTraces(run, 'import');
    assert.deepEqual(imp.groups.map((g) => [g.key, g.traces.map((x) => x.traceId)]), [['b.jsonl', ['2', '4']], ['a.jsonl', ['1', '3']]]);
    assert.equal(imp.undated, 0);
  });
});
