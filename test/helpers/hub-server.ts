// A local stand-in for the Hugging Face hub that speaks the protocol @huggingface/hub and
// Darkroom's puller use: the tree API with git and LFS ids, /resolve/ with range requests,
// and LFS files redirected to a "CDN" path, as huggingface.co does. Faults can be injected:
// a connection cut part-way through a file, and a wrong sha256 in the listing.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

/** Files above this size are served as LFS files, like the hub does for binaries. */
const LFS_THRESHOLD = 10_000;

export interface HubRequest {
  method: string;
  path: string;
  range: string | undefined;
}

export interface HubFaults {
  /** Cut the connection after this many body bytes, once per listed path. */
  cutAfter?: Map<string, number>;
  /** List this (wrong) sha256 for the path. */
  wrongSha256?: Set<string>;
}

interface HostedFile {
  path: string;
  data: Buffer;
  sha256: string;
  gitOid: string;
  lfs: boolean;
}

export interface HubServer {
  url: string;
  requests: HubRequest[];
  faults: HubFaults;
  close(): Promise<void>;
}

function gitBlobId(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

function listFolder(root: string): HostedFile[] {
  const files: HostedFile[] = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const data = readFileSync(full);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const lfs = statSync(full).size > LFS_THRESHOLD;
    const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${data.length}\n`);
    files.push({ path: relative(root, full), data, sha256, gitOid: gitBlobId(lfs ? pointer : data), lfs });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** Serves `folder` as the hub repo `repo` at revision "main". */
export async function startHub(repo: string, folder: string, faults: HubFaults = {}): Promise<HubServer> {
  const files = listFolder(folder);
  const requests: HubRequest[] = [];
  const cutDone = new Set<string>();

  function sendFile(req: IncomingMessage, res: ServerResponse, file: HostedFile) {
    const total = file.data.length;
    let start = 0;
    let end = total - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), total - 1) : total - 1;
      if (start >= total) {
        res.writeHead(416, { 'Content-Range': `bytes */${total}` }).end();
        return;
      }
    }
    const headers = {
      'Content-Length': String(end - start + 1),
      'Content-Type': 'application/octet-stream',
      ETag: `"${file.lfs ? file.sha256 : file.gitOid}"`,
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${total}` } : {}),
    };
    res.writeHead(range ? 206 : 200, headers);
    const body = file.data.subarray(start, end + 1);
    const cut = faults.cutAfter?.get(file.path);
    if (cut !== undefined && !cutDone.has(file.path) && body.length > cut) {
      cutDone.add(file.path);
      res.write(body.subarray(0, cut), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    requests.push({ method: req.method ?? 'GET', path, range: req.headers.range });
    const tree = `/api/models/${repo}/tree/main`;
    if (path === tree || path === `${tree}/`) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify(
          files.map((f) => ({
            type: 'file',
            path: f.path,
            size: f.lfs ? 134 : f.data.length,
            oid: f.gitOid,
            ...(f.lfs
              ? { lfs: { oid: faults.wrongSha256?.has(f.path) ? '0'.repeat(64) : f.sha256, size: f.data.length, pointerSize: 134 } }
              : {}),
          })),
        ),
      );
      return;
    }
    if (path.startsWith('/api/models/')) {
      res.writeHead(404, { 'Content-Type': 'application/json', 'X-Error-Code': 'RepoNotFound' });
      res.end(JSON.stringify({ error: 'Repository not found' }));
      return;
    }
    const resolvePrefix = `/${repo}/resolve/main/`;
    if (path.startsWith(resolvePrefix)) {
      const file = files.find((f) => f.path === path.slice(resolvePrefix.length));
      if (!file) {
        res.writeHead(404, { 'X-Error-Code': 'EntryNotFound' }).end('Entry not found');
        return;
      }
      if (file.lfs) {
        // huggingface.co answers LFS files with a redirect to its CDN.
        res.writeHead(302, { Location: `/cdn/${file.sha256}`, 'X-Linked-Size': String(file.data.length), 'X-Linked-Etag': `"${file.sha256}"` }).end();
        return;
      }
      sendFile(req, res, file);
      return;
    }
    if (path.startsWith('/cdn/')) {
      const file = files.find((f) => f.sha256 === path.slice('/cdn/'.length));
      if (file) {
        sendFile(req, res, file);
        return;
      }
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
