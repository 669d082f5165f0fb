import assert from 'node:assert/strict';
import * as http from 'node:http';
import { describe, it } from 'node:test';
import { freePort } from '../../../scripts/lib/code-server';
import { startRedirect } from '../../../scripts/start';

/** `npm start`'s short URL: every path of http://127.0.0.1:PORT/ answers with a redirect to the full workbench URL. */
describe('npm start: the short URL', () => {
  it('redirects to the full workbench URL', async () => {
    const target = 'http://127.0.0.1:9/?folder=%2Fdemo&payload=%5B%5B%22skipWelcome%22%2C%22true%22%5D%5D';
    const port = await freePort();
    const server = await startRedirect(port, target);
    try {
      for (const p of ['/', '/anything?x=1']) {
        const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(`http://127.0.0.1:${port}${p}`, resolve).on('error', reject));
        res.resume();
        assert.equal(res.statusCode, 302);
        assert.equal(res.headers.location, target);
      }
    } finally {
      server.close();
    }
  });

  it('says so when the port is taken, instead of starting half', async () => {
    const port = await freePort();
    const first = await startRedirect(port, 'http://127.0.0.1:9/');
    try {
      await assert.rejects(startRedirect(port, 'http://127.0.0.1:9/'), /EADDRINUSE/);
    } finally {
      first.close();
    }
  });
});
