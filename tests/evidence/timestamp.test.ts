import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTimeStampReply, requestTimeStamp } from '../../src/evidence/timestamp.js';
import { startTsa, type LocalTsa } from '../helpers/tsa.js';

describe('RFC 3161 timestamp of the manifest digest', () => {
  let tsa: LocalTsa;
  beforeAll(async () => {
    tsa = await startTsa();
  });
  afterAll(() => new Promise<void>((resolve) => tsa.server.close(() => resolve())));

  it('asks the TSA to stamp the digest, checks imprint and nonce, and openssl verifies the reply', async () => {
    const manifest = Buffer.from('{"runId":"r1"}\n');
    const digest = createHash('sha256').update(manifest).digest();
    const { reply, token } = await requestTimeStamp(tsa.url, digest);
    expect(token.status).toBe(0);
    expect(token.digest).toBe(digest.toString('hex'));
    expect(Date.parse(token.genTime)).not.toBeNaN();
    await writeFile(path.join(tsa.dir, 'manifest.json'), manifest);
    await writeFile(path.join(tsa.dir, 'manifest.tsr'), reply);
    const out = execFileSync('openssl', ['ts', '-verify', '-data', 'manifest.json', '-in', 'manifest.tsr', '-CAfile', 'ca.crt', '-untrusted', 'tsa.crt'], { cwd: tsa.dir }).toString();
    expect(out).toMatch(/Verification: OK/);
    expect(readTimeStampReply(await readFile(path.join(tsa.dir, 'manifest.tsr'))).digest).toBe(digest.toString('hex'));
  });

  it('refuses a reply for another digest', async () => {
    const digest = createHash('sha256').update('x').digest();
    const liar = createServer((request, response) => {
      request.resume();
      request.on('end', async () => {
        const other = await requestTimeStamp(tsa.url, createHash('sha256').update('y').digest());
        response.writeHead(200).end(other.reply);
      });
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    try {
      await expect(requestTimeStamp(`http://127.0.0.1:${(liar.address() as AddressInfo).port}/`, digest)).rejects.toThrow(/stamped another digest/);
    } finally {
      await new Promise<void>((resolve) => liar.close(() => resolve()));
    }
  });
});
