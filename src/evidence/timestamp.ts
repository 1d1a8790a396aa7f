import { randomBytes } from 'node:crypto';

/**
 * RFC 3161 time-stamping of the manifest's digest: a TSA signs "this hash existed at time T", which dates the
 * pack independently of the collector's own clock. The request and the parts of the reply checked here are
 * small DER structures, encoded and read by hand; the TSA's signature is checked with `openssl ts -verify`
 * against the TSA's certificate, as README shows.
 */

const SHA256_OID = Buffer.from('0609608648016503040201', 'hex');
const DER_NULL = Buffer.from('0500', 'hex');

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

/** A positive INTEGER: a leading zero keeps the sign bit clear. */
function integer(bytes: Buffer): Buffer {
  return tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

export function timeStampRequest(digest: Buffer, nonce: Buffer): Buffer {
  const imprint = tlv(0x30, Buffer.concat([tlv(0x30, Buffer.concat([SHA256_OID, DER_NULL])), tlv(0x04, digest)]));
  return tlv(0x30, Buffer.concat([integer(Buffer.from([1])), imprint, integer(nonce), Buffer.from('0101ff', 'hex')]));
}

interface Node {
  tag: number;
  content: Buffer;
  /** Offset just past this element in the buffer it was read from. */
  end: number;
}

function read(buffer: Buffer, offset = 0): Node {
  const tag = buffer[offset];
  let size = buffer[offset + 1];
  if (tag === undefined || size === undefined) throw new Error('truncated DER');
  let header = 2;
  if (size & 0x80) {
    const count = size & 0x7f;
    size = 0;
    for (let i = 0; i < count; i++) size = size * 256 + buffer[offset + 2 + i]!;
    header += count;
  }
  const start = offset + header;
  if (start + size > buffer.length) throw new Error('truncated DER');
  return { tag, content: buffer.subarray(start, start + size), end: start + size };
}

function children(node: Node): Node[] {
  const out: Node[] = [];
  for (let offset = 0; offset < node.content.length; offset = out.at(-1)!.end) out.push(read(node.content, offset));
  return out;
}

export interface TimeStampToken {
  /** PKIStatus: 0 granted, 1 granted with modifications. */
  status: number;
  genTime: string;
  digest: string;
  nonce?: string;
}

/** Reads a TimeStampResp far enough to check what was stamped, when, and for which request. */
export function readTimeStampReply(reply: Buffer): TimeStampToken {
  const [statusInfo, token] = children(read(reply));
  const status = children(statusInfo!)[0]!.content.readUIntBE(0, children(statusInfo!)[0]!.content.length || 1);
  if (!token) throw new Error(`the TSA refused the request (PKIStatus ${status})`);
  const signedData = children(children(children(token)[1]!)[0]!);
  const encapsulated = children(signedData[2]!);
  const tstInfo = children(read(read(encapsulated[1]!.content).content));
  const imprint = children(tstInfo[2]!);
  const genTime = tstInfo[4]!.content.toString('latin1');
  const nonce = tstInfo.slice(5).find((n) => n.tag === 0x02);
  return {
    status,
    genTime: `${genTime.slice(0, 4)}-${genTime.slice(4, 6)}-${genTime.slice(6, 8)}T${genTime.slice(8, 10)}:${genTime.slice(10, 12)}:${genTime.slice(12)}`,
    digest: imprint[1]!.content.toString('hex'),
    ...(nonce ? { nonce: nonce.content.toString('hex').replace(/^00/, '') } : {}),
  };
}

/** Asks the TSA to stamp `digest` and checks the reply is for it: same imprint, same nonce, granted. */
export async function requestTimeStamp(tsaUrl: string, digest: Buffer): Promise<{ reply: Buffer; token: TimeStampToken }> {
  const nonce = randomBytes(8);
  nonce[0] = nonce[0]! & 0x7f || 1;
  const response = await fetch(tsaUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/timestamp-query' },
    body: timeStampRequest(digest, nonce),
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`the TSA at ${tsaUrl} answered HTTP ${response.status}`);
  const reply = Buffer.from(await response.arrayBuffer());
  const token = readTimeStampReply(reply);
  if (token.status > 1) throw new Error(`the TSA at ${tsaUrl} refused the request (PKIStatus ${token.status})`);
  if (token.digest !== digest.toString('hex')) throw new Error(`the TSA at ${tsaUrl} stamped another digest`);
  if (token.nonce !== nonce.toString('hex')) throw new Error(`the TSA at ${tsaUrl} answered another request (nonce differs)`);
  return { reply, token };
}
