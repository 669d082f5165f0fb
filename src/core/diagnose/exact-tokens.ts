/**
 * Identifier-like tokens in a query: what makes a keyword-recovered miss an *exact-match* miss (an error code, an
 * ID, a SKU, a model number, a config key, a citation) rather than a *lexical* one (ordinary words the answer
 * shares with the query). Pure; no index.
 *
 * Token kinds, each checked on a whitespace-separated word with its surrounding punctuation ( , ; : ! ? ( ) [ ] { }
 * and a sentence-final period) stripped:
 * - `code`: letters and digits together, optionally joined by - or _ (QS-4091, E1234, sha256, ipv6, s3), but not an
 *   ordinal or a number with a unit (1st, 2nd, 10ms, 4KiB, 24h, 3x);
 * - `version`: v2, v1.4, 1.2.3 (a bare number needs two dots: 1.5 is a decimal, not a version);
 * - `snake_case`: words joined by underscores (max_poll_records, MAX_RETRIES);
 * - `camelCase`: a lower-case letter directly followed by an upper-case one (maxInflight, OpenID, iPhone); plain
 *   acronyms (API, SDKs) are ordinary words;
 * - `dotted`: names joined by dots (retention.ms, settings.json, a.b.c), except two single letters (e.g., i.e.);
 * - `flag`: a command-line option (--max-inflight);
 * - `quoted`: a phrase in double quotes, backticks or curly quotes, or in single quotes that stand apart from words
 *   (so the apostrophe of "don't" quotes nothing).
 */
export type ExactTokenKind = 'code' | 'version' | 'snake_case' | 'camelCase' | 'dotted' | 'flag' | 'quoted';

export interface ExactToken {
  token: string;
  kind: ExactTokenKind;
}

const ORDINAL_OR_UNIT = /^\d+(?:st|nd|rd|th|s|ms|us|µs|ns|m|min|h|d|w|x|k|kb|mb|gb|tb|kib|mib|gib|tib|px|%)$/i;
const TWO_LETTER_ABBREVIATION = /^[a-z]\.[a-z]\.?$/i;

/** The kind of one word (punctuation already stripped), or undefined for an ordinary word. */
export function tokenKind(word: string): ExactTokenKind | undefined {
  if (ORDINAL_OR_UNIT.test(word)) return undefined;
  if (/^--[a-z0-9][\w-]*$/i.test(word)) return 'flag';
  if (/^v\d+(?:\.\d+)*$/i.test(word) || /^\d+(?:\.\d+){2,}$/.test(word)) return 'version';
  if (/^[a-z0-9]+(?:_[a-z0-9]+)+$/i.test(word)) return 'snake_case';
  if (/^[a-z_][\w-]*(?:\.[a-z_][\w-]*)+$/i.test(word) && !TWO_LETTER_ABBREVIATION.test(word)) return 'dotted';
  if (/^[a-z0-9]+$/i.test(word) && /[a-z][A-Z]/.test(word)) return 'camelCase';
  if (/^[a-z0-9]+(?:-[a-z0-9]+)*$/i.test(word) && /\d/.test(word) && /[a-z]/i.test(word)) return 'code';
  return undefined;
}

const QUOTED = [/"([^"]+)"/g, /`([^`]+)`/g, /“([^”]+)”/g, /(?:^|(?<=[\s(]))'([^']+)'(?=$|[\s.,;:!?)])/g];

/** Every identifier-like token of a query, quoted phrases first, each once. */
export function exactTokens(query: string): ExactToken[] {
  const out: ExactToken[] = [];
  const seen = new Set<string>();
  const add = (token: string, kind: ExactTokenKind) => {
    const key = `${kind}\u0000${token.toLowerCase()}`;
    if (token && !seen.has(key)) {
      seen.add(key);
      out.push({ token, kind });
    }
  };
  let rest = query;
  for (const re of QUOTED) {
    rest = rest.replace(re, (_m, inner: string) => {
      const phrase = inner.trim().replace(/\s+/g, ' ');
      if (phrase) add(phrase, 'quoted');
      // The words inside a quote may be identifiers themselves (a quoted `max_poll_records`).
      for (const w of phrase.split(' ')) {
        const kind = tokenKind(strip(w));
        if (kind) add(strip(w), kind);
      }
      return ' ';
    });
  }
  for (const raw of rest.split(/\s+/)) {
    const word = strip(raw);
    const kind = word ? tokenKind(word) : undefined;
    if (kind) add(word, kind);
  }
  return out;
}

/** A word without the punctuation around it; one final period goes (end of sentence), inner dots stay. */
function strip(raw: string): string {
  const trail = /[,;:!?()[\]{}"'“”`]+$/;
  let w = raw.replace(/^[,;:!?()[\]{}"'“”`]+/, '').replace(trail, '');
  if (w.endsWith('.') && !TWO_LETTER_ABBREVIATION.test(w)) w = w.slice(0, -1).replace(trail, '');
  return w;
}

/**
 * The query's identifier-like tokens that occur verbatim in `text`: case-insensitively (an error code is the same
 * code in either case), whitespace inside a quoted phrase matching any whitespace, and only as a whole token (QS-40
 * is not in QS-4091).
 */
export function exactTokensIn(query: string, text: string): ExactToken[] {
  return exactTokens(query).filter((t) => occursVerbatim(t.token, text));
}

export function occursVerbatim(token: string, text: string): boolean {
  const body = token.split(/\s+/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}_])${body}(?![\\p{L}\\p{N}_])`, 'iu').test(text);
}
