import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface LocalTsa {
  url: string;
  /** Holds ca.crt (the trust anchor) and tsa.crt (the signer), for `openssl ts -verify`. */
  dir: string;
  server: Server;
}

/** A local RFC 3161 time-stamping authority: a CA, a TSA certificate, and `openssl ts -reply` behind HTTP. */
export async function startTsa(): Promise<LocalTsa> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-tsa-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  await writeFile(
    path.join(dir, 'tsa.cnf'),
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `dir = ${dir}`,
      'serial = $dir/serial',
      'signer_cert = $dir/tsa.crt',
      'signer_key = $dir/tsa.key',
      'signer_digest = sha256',
      'default_policy = 1.2.3.4.1',
      'digests = sha256',
      'accuracy = secs:1',
      'ess_cert_id_chain = no',
      'ess_cert_id_alg = sha256',
      '[ tsa_ext ]',
      'extendedKeyUsage = critical,timeStamping',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical,digitalSignature',
    ].join('\n'),
  );
  await writeFile(path.join(dir, 'serial'), '01\n');
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Test TSA Root', '-days', '2');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=Test TSA');
  run('x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tsa.crt', '-days', '2', '-extfile', 'tsa.cnf', '-extensions', 'tsa_ext');
  let counter = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const query = path.join(dir, `q${++counter}.tsq`);
      const reply = path.join(dir, `r${counter}.tsr`);
      writeFileSync(query, Buffer.concat(chunks));
      execFileSync('openssl', ['ts', '-reply', '-config', 'tsa.cnf', '-queryfile', query, '-out', reply], { cwd: dir, stdio: 'pipe' });
      response.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(readFileSync(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`, dir, server };
}

