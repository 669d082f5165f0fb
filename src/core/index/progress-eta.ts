/**
 * Progress a person can trust: the stage, done/total, and the time left — estimated from this stage's own pace
 * (the items done since the stage's first report, over the time since), only once there is enough of it to mean
 * something (half a second and one item done), so a stage never shows a wild first guess. Pure: the clock is passed in.
 */
export interface StageProgress {
  stage: string;
  done: number;
  total: number;
  /** Milliseconds left in this stage, when they can be estimated. */
  etaMs?: number;
}

export class ProgressEta {
  private stage = '';
  private t0 = 0;
  private d0 = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  update(stage: string, done: number, total: number): StageProgress {
    const t = this.now();
    if (stage !== this.stage || done < this.d0) {
      this.stage = stage;
      this.t0 = t;
      this.d0 = done;
      return { stage, done, total };
    }
    const elapsed = t - this.t0;
    const progressed = done - this.d0;
    if (elapsed < 500 || progressed <= 0 || done >= total) return { stage, done, total, ...(done >= total ? { etaMs: 0 } : {}) };
    return { stage, done, total, etaMs: ((total - done) * elapsed) / progressed };
  }
}

/** "<1 s", "42 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return '<1 s';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

const STAGES: Record<string, { label: string; unit: string }> = {
  chunk: { label: 'chunking', unit: 'files' },
  embed: { label: 'embedding', unit: 'chunks' },
  keyword: { label: 'keyword index', unit: 'chunks' },
  save: { label: 'saving', unit: 'parts' },
};

/** "embedding 420/2,032 chunks · about 1 min 12 s left" (the unit and the time left when known). */
export function formatStageProgress(p: StageProgress): string {
  const s = STAGES[p.stage] ?? { label: p.stage, unit: '' };
  const n = (x: number) => x.toLocaleString('en-US');
  const counts = p.total > 0 ? ` ${n(p.done)}/${n(p.total)}${s.unit ? ` ${s.unit}` : ''}` : '';
  const eta = p.etaMs !== undefined && p.etaMs > 0 && p.done < p.total ? ` · about ${formatDuration(p.etaMs)} left` : '';
  return `${s.label}${counts}${eta}`;
}
