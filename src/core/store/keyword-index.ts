import { drive } from '../io/yielder';
import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';
import type { Chunk } from '../chunking/chunk';
import { selectTop } from './heap';
import { encodePostings, FrozenPostings, type MiniSearchState } from './keyword-postings';
import type { KeywordConfig, KeywordTermContribution } from './keyword-types';

/**
 * BM25 defaults, tuned on SciFact (see test/unit/core/index/scifact-bm25.test.ts): Porter stemming, Lucene's
 * English stop list, k1 = 0.9, b = 0.4 (Anserini's defaults), the title field at half the weight of the text
 * (SciFact: nDCG@10 0.679, Recall@100 0.920 against 0.659 / 0.908 with equal weights).
 */
export const DEFAULT_KEYWORD_CONFIG: KeywordConfig = { stemming: true, stopWords: true, k1: 0.9, b: 0.4, titleBoost: 0.5 };

/** Lucene's EnglishAnalyzer default stop set (33 words). */
export const ENGLISH_STOP_WORDS = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no', 'not', 'of',
  'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'to', 'was', 'will', 'with',
]);

const TOKEN = /[\p{L}\p{N}_]+/gu;

/** One token as the index keeps it: lower case, null for a stop word (when they are dropped), Porter-stemmed (when on). */
export function keywordTerm(token: string, config: Pick<KeywordConfig, 'stemming' | 'stopWords'>): string | null {
  const t = token.toLowerCase();
  if (config.stopWords && ENGLISH_STOP_WORDS.has(t)) return null;
  return config.stemming ? stemmer(t) : t;
}

/** The terms of a text as the keyword index sees them (its tokenizer and keywordTerm). */
export function keywordTerms(text: string, config: Pick<KeywordConfig, 'stemming' | 'stopWords'>): string[] {
  return (text.match(TOKEN) ?? []).map((t) => keywordTerm(t, config)).filter((t): t is string => t !== null);
}

interface KeywordDoc {
  id: string;
  title: string;
  text: string;
}

export interface KeywordHit {
  id: string;
  /** Plain BM25: the sum over query terms and fields (MiniSearch's coordination factor removed). */
  score: number;
}

const FIELDS = ['title', 'text'] as const;

/** The parts of MiniSearch 7.2's index read by the fast scorer (the version is pinned in package.json). */
interface MiniSearchInternals {
  _index: { get(term: string): Map<number, Map<number, number>> | undefined };
  _fieldIds: Record<string, number>;
  _fieldLength: Map<number, number[]>;
  _avgFieldLength: number[];
  _documentCount: number;
  _documentIds: Map<number, string>;
  _idToShortId: Map<string, number>;
  _dirtCount: number;
  _nextId: number;
}

/**
 * MiniSearch over chunk text plus a title field (document title and heading path), scored as plain BM25.
 *
 * An index opened from keyword.bin ({@link fromBinaryAsync}) starts frozen: queries read the saved postings, each
 * term decoded the first time a query needs it, and no MiniSearch exists yet. The first change (add, remove) or
 * MiniSearch-only call rebuilds the MiniSearch from the saved form ({@link hydrate}); scores are the same bits
 * either way.
 */
export class KeywordIndex {
  private msOrNull: MiniSearch<KeywordDoc> | null;
  private frozen: { postings: FrozenPostings; view: MiniSearchInternals } | null = null;
  private norms: Float64Array[] | null = null;
  private changes = 0;

  constructor(
    readonly config: KeywordConfig,
    serialized?: string,
    loaded?: MiniSearch<KeywordDoc>,
  ) {
    const options = this.options();
    this.msOrNull = loaded ?? (serialized ? MiniSearch.loadJSON<KeywordDoc>(serialized, options) : new MiniSearch<KeywordDoc>(options));
  }

  /** The constructor's `serialized` load without one long block: MiniSearch's own async loader yields as it goes. */
  static async loadAsync(config: KeywordConfig, serialized: string): Promise<KeywordIndex> {
    const options = new KeywordIndex(config).options();
    return new KeywordIndex(config, undefined, await MiniSearch.loadJSONAsync<KeywordDoc>(serialized, options));
  }

  /**
   * Opens keyword.bin (see keyword-postings.ts) frozen, in slices with yields between them: the term list and the
   * per-chunk arrays are read, no posting is decoded. Throws on a malformed file.
   */
  static async fromBinaryAsync(config: KeywordConfig, bytes: Uint8Array, y: () => Promise<void> | undefined = () => undefined): Promise<KeywordIndex> {
    const postings = await drive(FrozenPostings.open(bytes), y);
    const { header, ids, perChunk } = postings;
    const stride = 1 + header.fields;
    const documentIds = new Map<number, string>();
    const idToShortId = new Map<string, number>();
    for (let i = 0; i < ids.length; i++) {
      const sid = perChunk[i * stride];
      documentIds.set(sid, ids[i]);
      idToShortId.set(ids[i], sid);
      if (i % 4096 === 4095) await y();
    }
    const index = new KeywordIndex(config, undefined, undefined);
    index.msOrNull = null;
    index.frozen = {
      postings,
      view: {
        _index: postings,
        _fieldIds: header.fieldIds,
        _fieldLength: new Map(),
        _avgFieldLength: header.averageFieldLength,
        _documentCount: header.documentCount,
        _documentIds: documentIds,
        _idToShortId: idToShortId,
        _dirtCount: 0,
        _nextId: header.nextId,
      },
    };
    return index;
  }

  /** True while the index is as opened from keyword.bin (no MiniSearch built yet). */
  get isFrozen(): boolean {
    return this.frozen !== null;
  }

  /** The MiniSearch, rebuilt from the saved postings first if the index is frozen (see hydrate). */
  private get ms(): MiniSearch<KeywordDoc> {
    if (!this.msOrNull) {
      const g = this.hydration();
      while (!g.next().done);
    }
    return this.msOrNull as MiniSearch<KeywordDoc>;
  }

  /** Rebuilds the MiniSearch of a frozen index, in slices with yields between them (nothing to do otherwise). */
  async hydrate(y: () => Promise<void> | undefined = () => undefined): Promise<void> {
    if (this.msOrNull) return;
    await drive(this.hydration(), y);
  }

  /** MiniSearch 7.2's own loader (loadJS) given the saved state, its maps then filled straight from the postings. */
  private *hydration(): Generator<void, void> {
    const frozen = this.frozen;
    if (!frozen) return;
    const { postings, view } = frozen;
    const { header, perChunk } = postings;
    const ms = MiniSearch.loadJS<KeywordDoc>(
      { documentCount: header.documentCount, nextId: header.nextId, documentIds: {}, fieldIds: header.fieldIds, fieldLength: {}, averageFieldLength: header.averageFieldLength, storedFields: {}, dirtCount: 0, index: [], serializationVersion: 2 },
      this.options(),
    );
    const ix = ms as unknown as MiniSearchInternals & { _index: { set(term: string, p: Map<number, Map<number, number>>): void }; _idToShortId: Map<string, number>; _documentIds: Map<number, string>; _fieldLength: Map<number, number[]> };
    const stride = 1 + header.fields;
    const fieldLength = new Map<number, number[]>();
    for (let i = 0; i < postings.size; i++) fieldLength.set(perChunk[i * stride], Array.from(perChunk.subarray(i * stride + 1, (i + 1) * stride)));
    ix._documentIds = view._documentIds;
    ix._idToShortId = view._idToShortId;
    ix._fieldLength = fieldLength;
    yield;
    let n = 0;
    for (const [term, p] of postings.entries()) {
      ix._index.set(term, p);
      if (++n % 1024 === 0) yield;
    }
    this.msOrNull = ms;
    this.frozen = null;
    this.norms = null;
  }

  /**
   * keyword.bin's bytes (see keyword-postings.ts), built in steps (a generator: a caller yields between them); a
   * frozen index gives back the bytes it was opened from.
   */
  *binarySteps(): Generator<void, Uint8Array> {
    if (this.frozen) return this.frozen.postings.bytes;
    return yield* encodePostings(this.ms as unknown as MiniSearchState);
  }

  toBinary(): Uint8Array {
    const g = this.binarySteps();
    for (;;) {
      const r = g.next();
      if (r.done) return r.value;
    }
  }

  private options() {
    const { stemming, stopWords, k1, b, titleBoost } = this.config;
    const terms = { stemming, stopWords };
    return {
      fields: [...FIELDS],
      storeFields: [],
      tokenize: (text: string) => text.match(TOKEN) ?? [],
      processTerm: (term: string) => keywordTerm(term, terms),
      searchOptions: { boost: { title: titleBoost, text: 1 }, bm25: { k: k1, b, d: 0 }, combineWith: 'OR' as const },
    };
  }

  /** Counts adds and removes: bytes encoded at one count describe the index only while it stays the same. */
  get version(): number {
    return this.changes;
  }

  get size(): number {
    return this.frozen ? this.frozen.postings.size : this.ms.documentCount;
  }

  /** Adds chunks; `title` is the document title plus the heading path. */
  add(chunks: Array<{ chunk: Chunk; title: string }>): void {
    this.norms = null;
    this.changes++;
    this.ms.addAll(chunks.map(({ chunk, title }) => ({ id: chunk.id, title, text: chunk.text })));
  }

  remove(ids: string[]): void {
    this.changes++;
    const present = ids.filter((id) => this.ms.has(id));
    if (present.length) this.ms.discardAll(present);
    this.norms = null;
  }

  has(id: string): boolean {
    return this.frozen ? this.frozen.view._idToShortId.has(id) : this.ms.has(id);
  }

  /**
   * Every chunk matching at least one query term, best first (ties by id for a stable order); `limit` keeps the
   * best that many. The same ranking as {@link score}`(...).top(limit)`.
   */
  search(query: string, options: { filter?: (id: string) => boolean; limit?: number } = {}): KeywordHit[] {
    const scores = this.score(query, options.filter);
    return scores.top(options.limit ?? scores.matched);
  }

  /**
   * BM25 of every chunk matching a query term, accumulated straight from MiniSearch's postings into a typed array
   * with the same formula MiniSearch uses (d = 0; checked against MiniSearch's own scores in
   * test/unit/core/store/keyword-index.test.ts), skipping its per-result objects, match bookkeeping and
   * coordination factor. Nothing is sorted here: a SciFact query matches ~20k of 100k chunks, and callers want the
   * top hundred ({@link KeywordScores.top}, a heap) and the rank of a few labeled chunks ({@link KeywordScores.position}).
   */
  score(query: string, filter?: (id: string) => boolean): KeywordScores {
    const ix = this.internals();
    const acc = new Float64Array(ix._nextId);
    const touched: number[] = [];
    for (const { weight, tfPart, freqs, norm } of this.termFields(query)) {
      freqs.forEach((tf, sid) => {
        const lengthNorm = norm[sid];
        if (Number.isNaN(lengthNorm)) return; // discarded, not yet vacuumed
        const score = weight * ((tf * tfPart) / (tf + lengthNorm));
        if (acc[sid] === 0) touched.push(sid);
        acc[sid] += score;
      });
    }
    const kept = filter ? touched.filter((sid) => filter(ix._documentIds.get(sid) as string)) : touched;
    return new KeywordScores(acc, kept, (sid) => ix._documentIds.get(sid) as string, (id) => ix._idToShortId.get(id) ?? -1);
  }

  /**
   * Per-term, per-field BM25 contributions for the given chunks, read from the same postings with the same formula
   * as {@link score}, so they sum to each chunk's score.
   */
  explain(query: string, ids: string[]): Map<string, KeywordTermContribution[]> {
    const ix = this.internals();
    const out = new Map<string, KeywordTermContribution[]>(ids.map((id) => [id, []]));
    const sids = ids.map((id) => ix._idToShortId.get(id));
    for (const { token, term, field, weight, tfPart, freqs, norm } of this.termFields(query)) {
      sids.forEach((sid, i) => {
        const tf = sid === undefined ? undefined : freqs.get(sid);
        if (tf === undefined || sid === undefined || Number.isNaN(norm[sid])) return;
        out.get(ids[i])?.push({ queryTerm: token, matchedTerm: term, field, contribution: weight * ((tf * tfPart) / (tf + norm[sid])) });
      });
    }
    return out;
  }

  private internals(): MiniSearchInternals {
    return this.frozen ? this.frozen.view : (this.ms as unknown as MiniSearchInternals);
  }

  /**
   * For each query token that is an indexed term, and each field it occurs in: its postings (short id → term
   * frequency), the field's length norms, and the factors of MiniSearch's BM25 (d = 0) that do not depend on the
   * chunk, so that `weight * (tf * tfPart) / (tf + norm[sid])` is the token's score in that chunk and field,
   * computed in MiniSearch's order of operations. A repeated token counts each time, as in MiniSearch.
   */
  private *termFields(query: string) {
    const ix = this.internals();
    const norms = this.lengthNorms(ix);
    const { k1, titleBoost } = this.config;
    const processTerm = this.options().processTerm;
    for (const token of query.match(TOKEN) ?? []) {
      const term = processTerm(token);
      if (!term) continue;
      const postings = ix._index.get(term);
      if (!postings) continue;
      for (const field of FIELDS) {
        const fieldId = ix._fieldIds[field];
        const freqs = postings.get(fieldId);
        if (!freqs) continue;
        let matching = freqs.size;
        if (ix._dirtCount > 0) for (const sid of freqs.keys()) if (!ix._documentIds.has(sid)) matching--;
        const n = ix._documentCount;
        const idf = Math.log(1 + (n - matching + 0.5) / (matching + 0.5));
        const boost = field === 'title' ? titleBoost : 1;
        yield { token, term, field, weight: boost * idf, tfPart: k1 + 1, freqs, norm: norms[fieldId] };
      }
    }
  }

  /**
   * Per field, each chunk's `k1 * (1 - b + b * length / averageLength)` indexed by MiniSearch's short id (NaN for
   * discarded ids): the part of BM25 that depends only on the chunk, computed in the same order MiniSearch does so
   * scores stay bit-identical. Rebuilt after any add or remove (the average length moves).
   */
  private lengthNorms(ix: MiniSearchInternals): Float64Array[] {
    if (this.norms && this.norms[0].length === ix._nextId) return this.norms;
    const { k1, b } = this.config;
    const frozen = this.frozen?.postings;
    this.norms = FIELDS.map((field) => {
      const fieldId = ix._fieldIds[field];
      const avg = ix._avgFieldLength[fieldId];
      const norm = new Float64Array(ix._nextId).fill(Number.NaN);
      if (frozen) {
        // The saved per-chunk lengths: short id, then one length per field.
        const stride = 1 + frozen.header.fields;
        const rows = frozen.perChunk;
        for (let i = 0; i < rows.length; i += stride) norm[rows[i]] = k1 * (1 - b + (b * rows[i + 1 + fieldId]) / avg);
      } else for (const [sid, lengths] of ix._fieldLength) norm[sid] = k1 * (1 - b + (b * lengths[fieldId]) / avg);
      return norm;
    });
    return this.norms;
  }

  /** MiniSearch's own scoring of the query, as plain BM25 (its coordination factor divided out): the reference. */
  searchWithMiniSearch(query: string): KeywordHit[] {
    const raw = this.ms.search(query);
    const hits = raw.map((r) => ({ id: r.id as string, score: r.score / (r.queryTerms.length || 1) }));
    return hits.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }

  toJSON(): string {
    return JSON.stringify(this.ms);
  }

  /**
   * Byte for byte the JSON of toJSON (MiniSearch 7.2's serialisation, loadable by the constructor), built term by
   * term with yields: MiniSearch's own toJSON walks the whole index in one go (60-150 ms at 5,000 chunks here).
   * Reads MiniSearch's internal fields (the version is pinned); if they are not there, falls back to toJSON.
   */
  async toJSONAsync(y: () => Promise<void> | undefined): Promise<string> {
    const ms = this.ms as unknown as {
      _index?: Iterable<[string, Map<number, Map<number, number>>]>;
      _documentCount: number;
      _nextId: number;
      _documentIds: Map<number, unknown>;
      _fieldIds: Record<string, number>;
      _fieldLength: Map<number, number[]>;
      _avgFieldLength: number[];
      _storedFields: Map<number, unknown>;
      _dirtCount: number;
    };
    if (!ms._index || !(ms._documentIds instanceof Map) || !(ms._fieldLength instanceof Map) || !(ms._storedFields instanceof Map)) return this.toJSON();
    const terms: string[] = [];
    for (const [term, fieldIndex] of ms._index) {
      const data: Record<number, Record<number, number>> = {};
      for (const [fieldId, freqs] of fieldIndex) data[fieldId] = Object.fromEntries(freqs);
      terms.push(JSON.stringify([term, data]));
      if (terms.length % 64 === 0) await y();
    }
    const head = [
      `"documentCount":${JSON.stringify(ms._documentCount)}`,
      `"nextId":${JSON.stringify(ms._nextId)}`,
      `"documentIds":${JSON.stringify(Object.fromEntries(ms._documentIds))}`,
      `"fieldIds":${JSON.stringify(ms._fieldIds)}`,
      `"fieldLength":${JSON.stringify(Object.fromEntries(ms._fieldLength))}`,
      `"averageFieldLength":${JSON.stringify(ms._avgFieldLength)}`,
      `"storedFields":${JSON.stringify(Object.fromEntries(ms._storedFields))}`,
      `"dirtCount":${JSON.stringify(ms._dirtCount)}`,
    ];
    await y();
    return `{${head.join(',')},"index":[${terms.join(',')}],"serializationVersion":2}`;
  }

  /** Adds chunks in slices, yielding to the event loop between them (see add). */
  async addAsync(chunks: Array<{ chunk: Chunk; title: string }>, y: () => Promise<void> | undefined): Promise<void> {
    for (let i = 0; i < chunks.length; i += 10) {
      this.add(chunks.slice(i, i + 10));
      await y();
    }
  }
}


/**
 * The BM25 scores of one query: `top(k)` selects the best k with a bounded heap (ties by id ascending), and
 * `position(id)` gives a chunk's rank among all matches by counting the better ones, so neither sorts the matches.
 */
export class KeywordScores {
  constructor(
    private readonly acc: Float64Array,
    private readonly sids: number[],
    private readonly idOf: (sid: number) => string,
    private readonly sidOf: (id: string) => number,
  ) {}

  /** How many chunks match at least one query term (and pass the filter). */
  get matched(): number {
    return this.sids.length;
  }

  /** The k best matches, best first. */
  top(k: number): KeywordHit[] {
    const { acc, idOf } = this;
    // Lower score, or on a tie the later id, ranks below.
    const worse = (a: number, b: number) => acc[a] < acc[b] || (acc[a] === acc[b] && idOf(a) > idOf(b));
    if (k >= this.sids.length / 2) {
      // Most of the matches are wanted: one sort beats a heap of that size.
      const all = [...this.sids].sort((a, b) => acc[b] - acc[a] || (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
      return all.slice(0, k).map((sid) => ({ id: idOf(sid), score: acc[sid] }));
    }
    return selectTop(this.sids, k, worse).map((sid) => ({ id: idOf(sid), score: acc[sid] }));
  }

  /** Rank (1-based) and score of a chunk among the matches, or null when it does not match (or was filtered out). */
  position(id: string): { rank: number; score: number } | null {
    const sid = this.sidOf(id);
    if (sid < 0 || sid >= this.acc.length || this.acc[sid] === 0 || !this.sids.includes(sid)) return null;
    const s = this.acc[sid];
    let rank = 1;
    for (const other of this.sids) {
      const o = this.acc[other];
      if (o > s || (o === s && other !== sid && this.idOf(other) < id)) rank++;
    }
    return { rank, score: s };
  }
}
