import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

/**
 * A hub-layout file server: serves model folders on disk at the Hugging Face hub's URLs,
 * `/{owner}/{name}/resolve/{revision}/{file}`, with the hub's headers — `X-Repo-Commit`; a small file answered
 * directly with `ETag: "<git blob sha1>"`; a large file (LFS on the hub, here: anything under onnx/) answered with a
 * 302 to `/cdn/...` carrying `X-Linked-Etag: "<sha256>"` and `X-Linked-Size`, the CDN answer honouring `Range`
 * (206). Faults are injected per file for tests: drop the connection after N bytes, serve corrupted bytes, 404.
 * Every request is logged, so a test can assert that a cached start made none.
 */
export interface HubFileServer {
  url: string;
  requests: Array<{ method: string; url: string; range?: string }>;
  /** Next `times` answers for `file` end the connection after `afterBytes` bytes of the body. */
  dropMidFile(file: string, afterBytes: number, times?: number): void;
  /** Next `times` answers for `file` flip one byte of the body (the stated checksum stays the true one). */
  corrupt(file: string, times?: number): void;
  /** Slow every body down: `bytesPerTick` bytes every 10 ms (to see progress events). */
  throttle(bytesPerTick: number): void;
  close(): Promise<void>;
}

export const COMMIT = '0123456789abcdef0123456789abcdef01234567';

export async function startHubFileServer(models: Record<string, string>): Promise<HubFileServer> {
  const requests: HubFileServer['requests'] = [];
  const drops = new Map<string, { after: number; times: number }>();
  const corrupts = new Map<string, number>();
  let throttle = 0;
  const digest = new Map<string, { sha256: string; gitSha1: string; size: number }>();
  const info = (file: string) => {
    let d = digest.get(file);
    if (!d) {
      const bytes = fs.readFileSync(file);
      d = {
        sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
        gitSha1: crypto.createHash('sha1').update(`blob ${bytes.length}\u0000`).update(bytes).digest('hex'),
        size: bytes.length,
      };
      digest.set(file, d);
    }
    return d;
  };
  const body = (res: http.ServerResponse, rel: string, bytes: Buffer) => {
    const drop = drops.get(rel);
    let out = bytes;
    if (corrupts.get(rel)) {
      corrupts.set(rel, (corrupts.get(rel) ?? 1) - 1);
      out = Buffer.from(bytes);
      out[Math.floor(out.length / 2)] ^= 0xff;
    }
    if (drop && drop.times > 0) {
      drop.times--;
      res.write(out.subarray(0, drop.after), () => res.socket?.destroy());
      return;
    }
    if (!throttle) return res.end(out);
    let off = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (off >= out.length) return res.end();
      res.write(out.subarray(off, off + throttle));
      off += throttle;
      setTimeout(tick, 10);
    };
    tick();
  };
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', range: req.headers.range });
    const u = new URL(req.url ?? '/', 'http://x');
    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(u.pathname);
    const hub = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(u.pathname);
    const model = decodeURIComponent((cdn ?? hub)?.[1] ?? '');
    const rel = decodeURIComponent(cdn ? cdn[2] : (hub?.[3] ?? ''));
    const root = models[model];
    const file = root && path.join(root, rel);
    if (!file || rel.split('/').includes('..') || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'x-error-code': root ? 'EntryNotFound' : 'RepoNotFound' }).end('Entry not found');
      return;
    }
    const d = info(file);
    const large = rel.startsWith('onnx/');
    if (hub && large) {
      res.writeHead(302, { location: `/cdn/${model}/${rel}`, 'x-repo-commit': COMMIT, 'x-linked-etag': `"${d.sha256}"`, 'x-linked-size': String(d.size), etag: `"${d.sha256}"` }).end();
      return;
    }
    const bytes = fs.readFileSync(file);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const headers: http.OutgoingHttpHeaders = { 'accept-ranges': 'bytes', etag: `"${large ? d.sha256 : d.gitSha1}"` };
    if (hub) headers['x-repo-commit'] = COMMIT;
    if (range) {
      const start = Number(range[1]);
      if (start >= bytes.length) {
        res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
        return;
      }
      res.writeHead(206, { ...headers, 'content-length': bytes.length - start, 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` });
      body(res, rel, bytes.subarray(start));
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': bytes.length });
    body(res, rel, bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    dropMidFile: (file, afterBytes, times = 1) => drops.set(file, { after: afterBytes, times }),
    corrupt: (file, times = 1) => corrupts.set(file, times),
    throttle: (n) => (throttle = n),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
