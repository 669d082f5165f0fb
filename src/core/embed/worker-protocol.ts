import type { ModelInfo } from './embedder';
import type { ModelSpec } from './embedder-factory';

export type ToWorker =
  | { type: 'init'; spec: Omit<ModelSpec, 'onDownload'>; role: 'embedder' | 'cross-encoder' }
  | { type: 'embed'; id: number; texts: string[]; kind?: 'query' | 'passage' }
  | { type: 'score'; id: number; query: string; passages: string[] }
  | { type: 'count'; id: number; texts: string[] }
  | { type: 'cancel'; id: number }
  | { type: 'dispose' };

export type FromWorker =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'failed'; message: string }
  | { type: 'download'; file: string; loaded: number; total: number }
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'vectors'; id: number; dims: number; data: Float32Array }
  | { type: 'scores'; id: number; scores: number[] }
  | { type: 'counts'; id: number; counts: number[] }
  | { type: 'error'; id: number; message: string; aborted: boolean };
