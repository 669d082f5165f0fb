import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sizedChunkerConfig } from '../../../../src/core/chunking/chunker-registry';
import { indexFolderName } from '../../../../src/core/index/index-folder';

describe('the one index-folder rule', () => {
  it('one file-safe folder per chunker, keyword settings and model; the same combination always names the same folder', () => {
    const md = sizedChunkerConfig('markdown');
    const names = [
      indexFolderName(md, {}, 'use-lite'),
      indexFolderName(md, {}, 'Xenova/all-MiniLM-L6-v2'),
      indexFolderName(md, {}, undefined),
      indexFolderName(md, { stemming: false }, 'use-lite'),
      indexFolderName(md, { stemming: false, stopWords: false }, 'use-lite'),
      indexFolderName(sizedChunkerConfig('fixed-tokens'), {}, 'use-lite'),
      indexFolderName(md, {}, '/home/me/models/a model with spaces/and:colons'),
    ];
    assert.equal(new Set(names).size, names.length, names.join('\n'));
    for (const n of names) assert.match(n, /^[\w.=,-]+__[0-9a-f]{10}$/, n);
    assert.equal(indexFolderName(md, { stopWords: false, stemming: false }, 'use-lite'), names[4], 'key order does not matter');
    assert.equal(indexFolderName(md, {}, 'use-lite'), names[0]);
    assert.match(names[1], /^markdown.*__Xenova_all-MiniLM-L6-v2__/);
  });
});
