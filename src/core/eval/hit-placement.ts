import type { SourceDocument } from '../corpus/document';
import type { DocumentIdRule } from '../retrieve/retriever-config';
import type { RetrievedHit } from '../retrieve/retriever';
import { reanchor } from './span-anchor';

/**
 * Where a hit landed: `local` (a chunk of the local index), `offsets` (the engine's start/end), `exact` (its text
 * found verbatim), `fuzzy` (found by the anchoring labels use), `document` (the document is known but not where
 * in it), `unplaced` (not even the document: counted and shown, never dropped).
 */
export type Placement = 'local' | 'offsets' | 'exact' | 'fuzzy' | 'document' | 'unplaced';

export interface PlacedHit {
  hit: RetrievedHit;
  /** The workspace document, null when the hit maps to none. */
  docId: string | null;
  start?: number;
  end?: number;
  placement: Placement;
  /** Why a hit is `document` or `unplaced`. */
  reason?: string;
}

export type PlacementCounts = Record<Placement, number>;

export function emptyPlacementCounts(): PlacementCounts {
  return { local: 0, offsets: 0, exact: 0, fuzzy: 0, document: 0, unplaced: 0 };
}

export interface DocumentLookup {
  readonly size: number;
  getDocument(docId: string): SourceDocument | undefined;
  /** By workspace-relative path (or BEIR `beir:<id>`), for engines that store paths. */
  byPath(path: string): SourceDocument | undefined;
}

export function documentLookup(docs: Iterable<SourceDocument>): DocumentLookup {
  const byId = new Map<string, SourceDocument>();
  const byPath = new Map<string, SourceDocument>();
  for (const d of docs) {
    byId.set(d.id, d);
    byPath.set(d.path, d);
  }
  return { size: byId.size, getDocument: (id) => byId.get(id), byPath: (p) => byPath.get(p) };
}

/** Compiles the rule once; an invalid pattern is reported by the settings validation before this runs. */
export function documentIdMapper(rule: DocumentIdRule = {}): (hit: RetrievedHit) => string | undefined {
  const re = rule.pattern ? new RegExp(rule.pattern) : undefined;
  return (hit) => {
    const raw = rule.from === 'id' ? hit.id : rule.from === 'path' ? hit.path : (hit.path ?? hit.id);
    if (raw === undefined) return undefined;
    return re ? raw.replace(re, rule.replace ?? '') : raw;
  };
}

/**
 * Places each hit in a workspace document: the document by the id rule (tried as a document id, then as a path,
 * then without a leading `./` or `/`), the span by the engine's offsets when they fit the document, else by
 * finding the hit's text there, exactly, then trimmed, then with the fuzzy anchoring of span labels (≥ 80%).
 */
export function placeHits(hits: RetrievedHit[], docs: DocumentLookup, rule: DocumentIdRule = {}): PlacedHit[] {
  const mapId = documentIdMapper(rule);
  return hits.map((hit) => placeHit(hit, docs, mapId));
}

function placeHit(hit: RetrievedHit, docs: DocumentLookup, mapId: (h: RetrievedHit) => string | undefined): PlacedHit {
  if (hit.chunkId !== undefined && hit.docId !== undefined && hit.start !== undefined && hit.end !== undefined) {
    return { hit, docId: hit.docId, start: hit.start, end: hit.end, placement: 'local' };
  }
  const key = hit.docId ?? mapId(hit);
  const doc = key === undefined ? undefined : (docs.getDocument(key) ?? docs.byPath(key) ?? docs.getDocument(key.replace(/^\.?\//, '')) ?? docs.byPath(key.replace(/^\.?\//, '')));
  if (!doc) return { hit, docId: null, placement: 'unplaced', reason: key === undefined ? 'the hit has no id or path' : `no workspace document "${key}"` };
  const text = doc.text;
  if (hit.start !== undefined && hit.end !== undefined) {
    if (Number.isInteger(hit.start) && Number.isInteger(hit.end) && hit.start >= 0 && hit.end <= text.length && hit.start < hit.end) {
      return { hit, docId: doc.id, start: hit.start, end: hit.end, placement: 'offsets' };
    }
    if (!hit.text) return { hit, docId: doc.id, placement: 'document', reason: `offsets [${hit.start}, ${hit.end}) are outside ${doc.id} (length ${text.length})` };
  }
  if (!hit.text) return { hit, docId: doc.id, placement: 'document', reason: 'the hit has neither offsets nor text' };
  for (const t of [hit.text, hit.text.trim()]) {
    if (!t) continue;
    const at = text.indexOf(t);
    if (at >= 0) return { hit, docId: doc.id, start: at, end: at + t.length, placement: 'exact' };
  }
  const quote = hit.text.trim();
  const a = reanchor({ type: 'span', docId: doc.id, start: 0, end: quote.length, exact: quote, prefix: '', suffix: '' }, text);
  if (a.status === 'fuzzy' || a.status === 'moved' || a.status === 'exact') return { hit, docId: doc.id, start: a.start, end: a.end, placement: 'fuzzy' };
  return { hit, docId: doc.id, placement: 'document', reason: `its text was not found in ${doc.id}` };
}
