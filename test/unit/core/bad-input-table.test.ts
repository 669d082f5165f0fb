/**
 * Bad input, table-driven: each malformed settings file, eval set, qrels, run, metrics file, BEIR file or index part
 * gives one message naming the file and line (or the setting), and the bytes the user wrote are the same after.
 * (test/unit/core/eval/malformed-input.test.ts holds the earlier exact-message cases; these are additional.)
 */
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { loadBeirCorpus } from '../../../src/core/corpus/load-beir';
import { loadFolderCorpus } from '../../../src/core/corpus/load-folder';
import { EmbeddingCache } from '../../../src/core/embed/embedding-cache';
import { WorkspaceIndex } from '../../../src/core/index/workspace-index';
import { CharTrigramEmbedder } from '../../helpers/char-ngram-embedder';
import { readBeirQrels, readBeirQueries } from '../../../src/core/eval/beir-io';
import { EVALSET_PATH, EvalSetFile } from '../../../src/core/eval/evalset-file';
import { readTrecQrels, readTrecRun } from '../../../src/core/eval/trec-io';
import { checkSetting, readWorkspaceSettings, type WorkspaceSettings } from '../../../src/core/settings/workspace-settings';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-badtable-'));
let n = 0;

interface Case {
  kind: string;
  text: string;
  /** Where the text goes, relative to a fresh folder. */
  name: string;
  read: (file: string, dir: string) => unknown;
  /** The 1-based line the message must name; undefined: the file alone. */
  line: number | undefined;
  problem: RegExp;
}

const span = { type: 'span', docId: 'doc.md', start: 0, end: 4, exact: 'Line', prefix: '', suffix: ' 000' };
const q = (over: object, j: object[] = [{ grade: 2, target: span }]) => JSON.stringify({ id: 'q1', text: 'hello', split: 'eval', judgments: j, ...over });
const okLine = q({ id: 'q0' });

const settings = (body: string): Pick<Case, 'name' | 'read' | 'text'> => ({ name: '.vscode/settings.json', text: body, read: (_f, dir) => readWorkspaceSettings(dir) });
const evalset = (text: string): Pick<Case, 'name' | 'read' | 'text'> => ({ name: EVALSET_PATH, text, read: (f) => EvalSetFile.load(f) });
const cli = async (args: string[]) => {
  const err: string[] = [];
  const code = await runCli(args, { out: () => {}, err: (t) => err.push(t) });
  if (code !== 2) throw new Error(`expected exit 2, got ${code}`);
  throw new Error(err.join('\n').replace(/^error: /, ''));
};

const CASES: Case[] = [
  // .vscode/settings.json (the CLI reads it; the editor's own check names the setting, see below)
  { kind: 'settings', ...settings('{\n  "retrievalLens.chunker": "markdown",\n  "retrievalLens.topK": 5,,\n}'), line: 3, problem: /invalid JSON: PropertyNameExpected/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.chunker": "paragraphs"\n}'), line: 2, problem: /retrievalLens\.chunker must be one of .*got "paragraphs"/ },
  { kind: 'settings', ...settings('{\n\n  "retrievalLens.chunkSize": 0\n}'), line: 3, problem: /retrievalLens\.chunkSize must be a positive number or null, got 0/ },
  { kind: 'settings', ...settings('{ "retrievalLens.chunkSize": "big" }'), line: 1, problem: /retrievalLens\.chunkSize must be a positive number/ },
  { kind: 'settings', ...settings('{\n  // weights\n  "retrievalLens.denseWeight": 2\n}'), line: 3, problem: /retrievalLens\.denseWeight must be a number within \[0, 1\], got 2/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.topK": 2.5\n}'), line: 2, problem: /retrievalLens\.topK must be a whole number ≥ 1, got 2\.5/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.fusion": "max"\n}'), line: 2, problem: /retrievalLens\.fusion must be one of weighted, rrf, got "max"/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.include": "docs/**"\n}'), line: 2, problem: /retrievalLens\.include must be a list of glob strings/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.exclude": ["a", 3]\n}'), line: 2, problem: /retrievalLens\.exclude must be a list of glob strings/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.keywordStemming": "yes"\n}'), line: 2, problem: /retrievalLens\.keywordStemming must be true or false/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.embeddingDtype": "fp16"\n}'), line: 2, problem: /retrievalLens\.embeddingDtype must be one of q8, fp32/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.rerankCandidates": 0\n}'), line: 2, problem: /retrievalLens\.rerankCandidates must be a whole number ≥ 1/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.rrfK": -1\n}'), line: 2, problem: /retrievalLens\.rrfK must be a positive number/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.embeddingModel": 42\n}'), line: 2, problem: /retrievalLens\.embeddingModel must be a string/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.rerankBase": "bm25"\n}'), line: 2, problem: /retrievalLens\.rerankBase must be one of hybrid, keyword, dense/ },
  { kind: 'settings', ...settings('{\n  "retrievalLens.topK": 10\n'), line: 3, problem: /invalid JSON: CloseBraceExpected/ },

  // .retrieval-lens/evalset.jsonl
  { kind: 'eval set', ...evalset(`${okLine}\n${q({}).slice(0, 40)}`), line: 2, problem: /invalid JSON/ },
  { kind: 'eval set', ...evalset(`# header\n${okLine}\nnot json at all`), line: 3, problem: /invalid JSON/ },
  { kind: 'eval set', ...evalset(q({}, [null as unknown as object])), line: 1, problem: /query q1, judgment 1: expected an object/ },
  { kind: 'eval set', ...evalset(q({}, [{ grade: 1, target: { type: 'span', start: 0, end: 4, exact: 'Line', prefix: '', suffix: '' } }])), line: 1, problem: /judgment 1: target\.docId must be a non-empty string/ },
  { kind: 'eval set', ...evalset(q({}, [{ grade: 1, target: { ...span, exact: '' } }])), line: 1, problem: /judgment 1: span "exact" must be the quoted text/ },
  { kind: 'eval set', ...evalset(q({}, [{ grade: 1, target: { ...span, prefix: undefined } }])), line: 1, problem: /span "prefix" and "suffix" must be strings/ },
  { kind: 'eval set', ...evalset(q({}, [{ grade: 1, target: { ...span, start: '0' } }])), line: 1, problem: /span start\/end must be integers/ },
  { kind: 'eval set', ...evalset(q({}, [{ grade: '2', target: span }])), line: 1, problem: /"grade" must be 0, 1, 2 or 3, got "2"/ },
  { kind: 'eval set', ...evalset(q({}, [{ grade: null, target: span }])), line: 1, problem: /"grade" must be 0, 1, 2 or 3, got null/ },
  { kind: 'eval set', ...evalset(`${okLine}\n${q({ id: 7 })}`), line: 2, problem: /"id" must be a non-empty string/ },
  { kind: 'eval set', ...evalset(q({}, [{ grade: 1, target: { ...span, start: 1.5 } }])), line: 1, problem: /span start\/end must be integers/ },
  { kind: 'eval set', ...evalset(`${okLine}\r\n\r\n${q({ split: 'dev' })}\r\n`), line: 3, problem: /"split" must be "train" or "eval", got "dev"/ },
  { kind: 'eval set (CLI label refuses to write)', ...evalset(`${okLine}\n{"id":"q9",`), read: (_f, dir) => cli(['label', dir, '--query', 'hello', '--file', 'doc.md', '--start', '0', '--end', '4', '--grade', '1']), line: 2, problem: /invalid JSON/ },

  // TREC qrels and runs
  { kind: 'qrels', name: 'qrels.trec', text: '1 0 d1 1\n1 0 d2 1.5\n', read: readTrecQrels, line: 2, problem: /grade "1\.5" is not an integer/ },
  { kind: 'qrels', name: 'qrels.trec', text: '1 0 d1 1\n\n1 0 d2 1 extra\n', read: readTrecQrels, line: 3, problem: /expected 4 fields/ },
  { kind: 'run', name: 'run.trec', text: '1 Q0 d1 first 2.5 tag\n', read: readTrecRun, line: 1, problem: /rank "first" is not an integer/ },
  { kind: 'run', name: 'run.trec', text: '1 Q0 d1 1 2.5 tag\n1 Q0 d2 2 NaN tag\n', read: readTrecRun, line: 2, problem: /score "NaN" is not a number/ },
  { kind: 'run', name: 'run.trec', text: '1 Q0 d1 1 Infinity tag\n', read: readTrecRun, line: 1, problem: /score "Infinity" is not a number/ },
  // saved runs / metrics (eval --metrics-out, .retrieval-lens/runs/*.json) read by `compare`
  { kind: 'metrics run', name: 'a.json', text: '{\n "all": {"ndcg_cut_10": 0.5},\n "per_query": {"1": {"ndcg_cut_10": 0.5}\n', read: (f) => cli(['compare', f, f]), line: 4, problem: /invalid JSON/ },
  { kind: 'metrics run', name: 'a.json', text: '{\n "all": {"ndcg_cut_10": 0.5},\n "per_query": {"1": {"ndcg_cut_10": 0.5}},\n}\n', read: (f) => cli(['compare', f, f]), line: 4, problem: /invalid JSON/ },

  // BEIR files
  { kind: 'BEIR queries', name: 'queries.jsonl', text: '{"_id":"1","text":"a"}\n{"_id":"2","text":"b"\n', read: readBeirQueries, line: 2, problem: /invalid JSON/ },
  { kind: 'BEIR queries', name: 'queries.jsonl', text: '{"_id":"1","text":"a"}\n["2","b"]\n', read: readBeirQueries, line: 2, problem: /expected a JSON object/ },
  { kind: 'BEIR queries', name: 'queries.jsonl', text: '{"text":"a"}\n', read: readBeirQueries, line: 1, problem: /missing "_id"/ },
  { kind: 'BEIR qrels', name: 'qrels.tsv', text: 'query-id\tcorpus-id\tscore\n1\td1\t1\n1\td1\t2\n', read: readBeirQrels, line: 3, problem: /document d1 judged twice for query 1/ },
  { kind: 'BEIR qrels', name: 'qrels.tsv', text: 'query-id corpus-id score\n1 d1 1\n', read: readBeirQrels, line: 1, problem: /expected the header/ },
  { kind: 'BEIR corpus', name: 'corpus.jsonl', text: '{"_id":"d1","title":"","text":"x"}\n{"_id":"d1","title":"","text":"y"}\n', read: (_f, dir) => loadBeirCorpus(dir), line: 2, problem: /duplicate _id "d1"/ },
  { kind: 'BEIR corpus', name: 'corpus.jsonl', text: '{"_id":"d1","title":"","text":"x"}\n\n{"_id":"d2","title":7,"text":"y"}\n', read: (_f, dir) => loadBeirCorpus(dir), line: 3, problem: /"title" of d2 is not a string/ },
  { kind: 'BEIR corpus', name: 'corpus.jsonl', text: '{"_id":"d1","title":"","text":null}\n', read: (_f, dir) => loadBeirCorpus(dir), line: 1, problem: /"text" of d1 is not a string/ },
  { kind: 'BEIR corpus', name: 'corpus.jsonl', text: '{"_id":"d1","title":"","text":"x"}\n{"_id":"d2","ti', read: (_f, dir) => loadBeirCorpus(dir), line: 2, problem: /invalid JSON/ },
];

describe('bad input: one message naming the file and line, nothing the user wrote rewritten', () => {
  it(`has at least 40 cases (${CASES.length}, plus the settings checks and index files below)`, () => assert.ok(CASES.length >= 40));
  for (const c of CASES) {
    it(`${c.kind}: ${c.problem.source.slice(0, 70)}`, async () => {
      const dir = path.join(tmp, String(n++));
      const file = path.join(dir, c.name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(path.join(dir, 'doc.md'), 'Line 000 of the guide.\n');
      fs.writeFileSync(file, c.text);
      const before = fs.readFileSync(file);
      let message: string | undefined;
      try {
        await c.read(file, dir);
      } catch (e) {
        message = e instanceof Error ? e.message : String(e);
      }
      assert.ok(message, 'the bad input is reported');
      const where = c.line === undefined ? `${file}: ` : `${file}:${c.line}: `;
      assert.ok(message.startsWith(where), `"${message}" starts with "${where}"`);
      assert.match(message, c.problem);
      assert.equal(message.split('\n').length, 1, 'one message, one line');
      assert.ok(fs.readFileSync(file).equals(before), 'the file is byte for byte as the user wrote it');
      assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock')), [], 'no temp or lock file left');
    });
  }

  // The editor reads settings from VS Code, not the file: the same check names the setting (shown once as a warning, default used).
  const SETTING_VALUES: Array<[keyof WorkspaceSettings, unknown]> = [
    ['chunker', 'paragraphs'],
    ['denseWeight', -0.1],
    ['topK', 0],
    ['include', [null]],
    ['fusionNormalization', 'l2'],
  ];
  for (const [key, value] of SETTING_VALUES) {
    it(`setting retrievalLens.${key} = ${JSON.stringify(value)} is named in its message`, () => {
      assert.match(checkSetting(key, value) ?? '', new RegExp(`^retrievalLens\\.${key} must be .*, got ${JSON.stringify(JSON.stringify(value)).slice(1, -1).replace(/[[\]]/g, '\\$&')}$`));
    });
  }
});

describe('a corrupt or partial index on disk is rebuilt, never trusted', () => {
  const FILES: Record<string, string> = {
    'docs/retries.md': '# Retries\n\nClients retry failed publishes with exponential backoff.\n\n## Budget\n\nA retry budget caps retries per minute.\n',
    'docs/retention.md': '# Retention\n\nMessages are kept for seven days by default.\n',
    'notes.txt': 'Meeting notes: the cat sat on the mat.\n',
  };
  const root = path.join(tmp, 'index-ws');
  for (const [rel, text] of Object.entries(FILES)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  const embedder = new CharTrigramEmbedder();
  const options = (storageDir: string) => ({ chunker: { kind: 'markdown' as const, maxSize: 400 }, embedder, storageDir });
  const flip = (f: string) => {
    const b = fs.readFileSync(f);
    b[Math.floor(b.length / 2)] ^= 0x20;
    fs.writeFileSync(f, b);
  };
  const manifest = (dir: string) => path.join(dir, 'manifest.json');
  const CORRUPTIONS: Array<[string, (dir: string) => void, RegExp]> = [
    ['manifest.json cut in half', (d) => fs.truncateSync(manifest(d), Math.floor(fs.statSync(manifest(d)).size / 2)), /saved index unreadable/],
    ['manifest.json empty', (d) => fs.writeFileSync(manifest(d), ''), /saved index unreadable/],
    ['manifest.json lists no files', (d) => { const m = JSON.parse(fs.readFileSync(manifest(d), 'utf8')); delete m.files; fs.writeFileSync(manifest(d), JSON.stringify(m)); }, /manifest lists no documents\.json/],
    ['chunks.json one byte changed', (d) => flip(path.join(d, 'chunks.json')), /chunks\.json does not match its checksum/],
    ['vectors.f32 one byte changed', (d) => flip(path.join(d, 'vectors.f32')), /vectors\.f32 does not match its checksum/],
    ['vectors.f32 cut short', (d) => fs.truncateSync(path.join(d, 'vectors.f32'), 100), /vectors\.f32 is 100 bytes, manifest says \d+ \(truncated\?\)/],
    ['keyword.bin deleted', (d) => fs.rmSync(path.join(d, 'keyword.bin')), /saved index unreadable: ENOENT/],
    ['documents.json replaced by other valid JSON', (d) => fs.writeFileSync(path.join(d, 'documents.json'), '[]'), /documents\.json is 2 bytes/],
    ['a part swapped for a crafted one with a matching checksum but fewer chunks', (d) => {
      const m = JSON.parse(fs.readFileSync(manifest(d), 'utf8'));
      const chunks = JSON.parse(fs.readFileSync(path.join(d, 'chunks.json'), 'utf8')) as unknown[];
      const buf = Buffer.from(JSON.stringify(chunks.slice(1)));
      fs.writeFileSync(path.join(d, 'chunks.json'), buf);
      m.files['chunks.json'] = { bytes: buf.byteLength, sha256: crypto.createHash('sha256').update(buf).digest('hex') };
      fs.writeFileSync(manifest(d), JSON.stringify(m));
    }, /saved parts disagree/],
    ['format version from the future', (d) => { const m = JSON.parse(fs.readFileSync(manifest(d), 'utf8')); m.formatVersion = 99; fs.writeFileSync(manifest(d), JSON.stringify(m)); }, /index format 99 differs/],
  ];

  for (const [name, corrupt, reason] of CORRUPTIONS) {
    it(`${name}: rebuilt with the reason, search answers as from a fresh build`, async () => {
      const storage = fs.mkdtempSync(path.join(tmp, 'idx-'));
      const corpus = await loadFolderCorpus(root);
      const fresh = await WorkspaceIndex.openOrBuild(corpus, options(storage));
      assert.equal(fresh.rebuilt, 'no saved index');
      const want = await fresh.index.search({ query: 'how are retries limited', k: 3, retrievers: ['keyword', 'dense'] });
      corrupt(storage);
      const again = await WorkspaceIndex.openOrBuild(corpus, options(storage));
      assert.match(again.rebuilt ?? '(loaded as if intact)', reason);
      assert.equal(again.index.chunkMap.size, fresh.index.chunkMap.size);
      const got = await again.index.search({ query: 'how are retries limited', k: 3, retrievers: ['keyword', 'dense'] });
      assert.deepEqual(got.results.keyword?.map((h) => h.chunkId), want.results.keyword?.map((h) => h.chunkId));
      assert.deepEqual(got.results.dense?.map((h) => h.chunkId), want.results.dense?.map((h) => h.chunkId));
      // The rebuilt index was saved whole: the next open loads it.
      assert.equal((await WorkspaceIndex.openOrBuild(corpus, options(storage))).rebuilt, undefined);
    });
  }

  it('an embedding cache with flipped bytes (same size) is discarded and re-embedded, not trusted', async () => {
    const storage = fs.mkdtempSync(path.join(tmp, 'cache-'));
    const corpus = await loadFolderCorpus(root);
    await WorkspaceIndex.openOrBuild(corpus, options(storage));
    const data = fs.readdirSync(storage, { recursive: true, encoding: 'utf8' }).find((f) => /embeddings-.*\.f32$/.test(f));
    assert.ok(data, 'the cache file exists');
    flip(path.join(storage, data));
    const cache = EmbeddingCache.open(embedder.info, path.dirname(path.join(storage, data)));
    assert.equal(cache.size, 0);
    assert.match(cache.warnings.join('\n'), /does not match its checksum/);
  });
});
