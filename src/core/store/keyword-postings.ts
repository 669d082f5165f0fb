/**
 * The keyword index's saved form (keyword.bin): MiniSearch 7.2's index state — document count, next short id,
 * field ids, average field lengths, each live chunk's short id, id and field lengths, and every term's postings —
 * in a compact binary layout that opens without parsing a posting. Opening reads the term list and the per-chunk
 * arrays; a term's postings are decoded into MiniSearch's own shape (field id → short id → term frequency) the
 * first time a query needs it ({@link FrozenPostings}). The whole MiniSearch is rebuilt from it only when the index
 * changes (KeywordIndex.hydrate).
 *
 * Layout (little-endian): "RLKW", u32 version, then five sections, each a u32 byte length and its bytes, padded to
 * 4 bytes: header JSON; ids JSON (array, in short-id order); terms JSON (array); a u32 array per chunk: short id,
 * then one length per field; a u32 array of T + 1 term offsets into the postings; the postings. A term's postings
 * are varints: the number of fields it occurs in, then per field its id, the number of chunks, and per chunk the
 * short-id gap from the previous one and the term frequency.
 *
 * Postings of discarded chunks are not written (a vacuum on save): the saved index has dirtCount 0, and BM25 counts
 * only live chunks either way, so every score is the same bits.
 */

const MAGIC = 0x574b4c52; // "RLKW" little-endian
export const KEYWORD_POSTINGS_VERSION = 1;

/** Work between two yields of a time-sliced caller (a generator step). */
const STEP = 2048;

export interface PostingsHeader {
  documentCount: number;
  nextId: number;
  fieldIds: Record<string, number>;
  averageFieldLength: number[];
  fields: number;
}

/** MiniSearch's posting shape for one term: field id → (short id → term frequency). */
export type TermPostings = Map<number, Map<number, number>>;

/** The parts of a MiniSearch 7.2 instance written to keyword.bin. */
export interface MiniSearchState {
  _index: Iterable<[string, TermPostings]>;
  _documentCount: number;
  _nextId: number;
  _documentIds: Map<number, string>;
  _fieldIds: Record<string, number>;
  _fieldLength: Map<number, number[]>;
  _avgFieldLength: number[];
}

class ByteWriter {
  bytes = new Uint8Array(1 << 16);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  varint(v: number): void {
    this.room(5);
    while (v >= 0x80) {
      this.bytes[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.bytes[this.length++] = v;
  }

  get value(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/**
 * Encodes a MiniSearch's state (see the file comment); a generator so a caller can yield to the event loop between
 * steps. Returns the bytes of keyword.bin.
 */
export function* encodePostings(ms: MiniSearchState): Generator<void, Uint8Array> {
  const live = ms._documentIds;
  const fieldCount = Object.keys(ms._fieldIds).length;
  const sids = [...live.keys()].sort((a, b) => a - b);
  const perChunk = new Uint32Array(sids.length * (1 + fieldCount));
  const ids: string[] = new Array<string>(sids.length);
  sids.forEach((sid, i) => {
    ids[i] = live.get(sid) as string;
    perChunk[i * (1 + fieldCount)] = sid;
    const lengths = ms._fieldLength.get(sid) ?? [];
    for (let f = 0; f < fieldCount; f++) perChunk[i * (1 + fieldCount) + 1 + f] = lengths[f] ?? 0;
  });
  yield;
  const terms: string[] = [];
  const offsets: number[] = [0];
  const w = new ByteWriter();
  let work = 0;
  let list: number[] = [];
  for (const [term, fields] of ms._index) {
    const start = w.length;
    const kept: Array<[number, number[]]> = [];
    for (const [fieldId, freqs] of fields) {
      list = [];
      let ascending = true;
      let last = -1;
      for (const [sid, tf] of freqs) {
        if (!live.has(sid)) continue;
        if (sid < last) ascending = false;
        last = sid;
        list.push(sid, tf);
      }
      work += freqs.size;
      if (!list.length) continue;
      if (!ascending) {
        const pairs: Array<[number, number]> = [];
        for (let i = 0; i < list.length; i += 2) pairs.push([list[i], list[i + 1]]);
        pairs.sort((a, b) => a[0] - b[0]);
        list = pairs.flat();
      }
      kept.push([fieldId, list]);
    }
    if (!kept.length) continue;
    w.varint(kept.length);
    for (const [fieldId, pairs] of kept) {
      w.varint(fieldId);
      w.varint(pairs.length / 2);
      let prev = 0;
      for (let i = 0; i < pairs.length; i += 2) {
        w.varint(pairs[i] - prev);
        w.varint(pairs[i + 1]);
        prev = pairs[i];
      }
    }
    if (w.length === start) continue;
    terms.push(term);
    offsets.push(w.length);
    if (work > STEP * 16) {
      work = 0;
      yield;
    }
  }
  const header: PostingsHeader = { documentCount: ms._documentCount, nextId: ms._nextId, fieldIds: ms._fieldIds, averageFieldLength: ms._avgFieldLength, fields: fieldCount };
  const sections = [
    Buffer.from(JSON.stringify(header), 'utf8'),
    Buffer.from(JSON.stringify(ids), 'utf8'),
    Buffer.from(JSON.stringify(terms), 'utf8'),
    new Uint8Array(perChunk.buffer),
    new Uint8Array(Uint32Array.from(offsets).buffer),
    w.value,
  ];
  yield;
  const pad = (n: number) => (4 - (n % 4)) % 4;
  const total = 8 + sections.reduce((s, b) => s + 4 + b.byteLength + pad(b.byteLength), 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, KEYWORD_POSTINGS_VERSION, true);
  let at = 8;
  for (const s of sections) {
    view.setUint32(at, s.byteLength, true);
    out.set(s, at + 4);
    at += 4 + s.byteLength + pad(s.byteLength);
  }
  return out;
}

/** keyword.bin opened: the per-chunk arrays and term list read, postings decoded per term on demand. */
export class FrozenPostings {
  /** Term → its number in the term list. */
  private readonly termNumber = new Map<string, number>();
  private readonly decoded = new Map<string, TermPostings>();

  private constructor(
    readonly header: PostingsHeader,
    /** Live chunk ids, in short-id order. */
    readonly ids: string[],
    /** Per chunk: short id, then its length in each field. */
    readonly perChunk: Uint32Array,
    readonly terms: string[],
    private readonly offsets: Uint32Array,
    private readonly postings: Uint8Array,
    /** The file's bytes (the arrays above are views into them): what saving an unchanged index writes again. */
    readonly bytes: Uint8Array,
  ) {}

  /**
   * Reads keyword.bin (already checked against its checksum); a generator so a caller can yield between steps.
   * Throws on anything malformed: wrong magic or version, a section past the end, counts that disagree.
   */
  static *open(buf: Uint8Array): Generator<void, FrozenPostings> {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (buf.byteLength < 8 || view.getUint32(0, true) !== MAGIC) throw new Error('keyword.bin is not a keyword index');
    const version = view.getUint32(4, true);
    if (version !== KEYWORD_POSTINGS_VERSION) throw new Error(`keyword.bin version ${version} differs from ${KEYWORD_POSTINGS_VERSION}`);
    let at = 8;
    const section = (): Uint8Array => {
      if (at + 4 > buf.byteLength) throw new Error('keyword.bin ends early');
      const n = view.getUint32(at, true);
      if (at + 4 + n > buf.byteLength) throw new Error('keyword.bin ends early');
      const s = buf.subarray(at + 4, at + 4 + n);
      at += 4 + n + ((4 - (n % 4)) % 4);
      return s;
    };
    const text = (s: Uint8Array) => Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString('utf8');
    const u32 = (s: Uint8Array) => {
      if (s.byteOffset % 4 === 0) return new Uint32Array(s.buffer, s.byteOffset, s.byteLength >>> 2);
      const copy = new Uint8Array(s); // a view must be 4-byte aligned
      return new Uint32Array(copy.buffer, 0, copy.byteLength >>> 2);
    };
    const header = JSON.parse(text(section())) as PostingsHeader;
    yield;
    const ids = JSON.parse(text(section())) as string[];
    yield;
    const terms = JSON.parse(text(section())) as string[];
    yield;
    const perChunk = u32(section());
    const offsets = u32(section());
    const postings = section();
    if (!Array.isArray(ids) || !Array.isArray(terms) || perChunk.length !== ids.length * (1 + header.fields) || offsets.length !== terms.length + 1 || offsets[terms.length] !== postings.byteLength || ids.length !== header.documentCount) {
      throw new Error(`keyword.bin sections disagree (${ids.length} chunks, ${terms.length} terms)`);
    }
    const frozen = new FrozenPostings(header, ids, perChunk, terms, offsets, postings, buf);
    for (let i = 0; i < terms.length; i++) {
      frozen.termNumber.set(terms[i], i);
      if (i % (STEP * 8) === STEP * 8 - 1) yield;
    }
    return frozen;
  }

  get size(): number {
    return this.ids.length;
  }

  /** A term's postings in MiniSearch's shape (decoded once, then kept), undefined when no chunk has it. */
  get(term: string): TermPostings | undefined {
    const done = this.decoded.get(term);
    if (done) return done;
    const n = this.termNumber.get(term);
    if (n === undefined) return undefined;
    const p = this.decode(n);
    this.decoded.set(term, p);
    return p;
  }

  /** Every term with its postings, decoded as it goes (not kept): for rebuilding the MiniSearch. */
  *entries(): Generator<[string, TermPostings]> {
    for (let i = 0; i < this.terms.length; i++) yield [this.terms[i], this.decoded.get(this.terms[i]) ?? this.decode(i)];
  }

  private decode(n: number): TermPostings {
    const bytes = this.postings;
    let at = this.offsets[n];
    const end = this.offsets[n + 1];
    const next = (): number => {
      let v = 0;
      let shift = 0;
      for (;;) {
        if (at >= end) throw new Error(`keyword.bin: postings of "${this.terms[n]}" end early`);
        const b = bytes[at++];
        v += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) return v;
        shift += 7;
      }
    };
    const out: TermPostings = new Map();
    const fields = next();
    for (let f = 0; f < fields; f++) {
      const fieldId = next();
      const count = next();
      const freqs = new Map<number, number>();
      let sid = 0;
      for (let i = 0; i < count; i++) {
        sid += next();
        freqs.set(sid, next());
      }
      out.set(fieldId, freqs);
    }
    return out;
  }
}
