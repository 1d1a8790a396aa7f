import { createHash, sign, type KeyObject } from 'node:crypto';
import { lstat, open, readdir, rmdir, writeFile, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { stableStringify } from '../stable-json.js';
import { fileChunks } from './file-chunks.js';
import type { SigningKey } from './keys.js';
import { startThread } from './thread.js';

export const SUMS_FILE = 'SHA256SUMS';
export const SIGNATURE_FILE = 'SHA256SUMS.sig';
export const ATTESTATION_FILE = 'attestation.dsse.json';
export const MANIFEST_FILE = 'manifest.json';
/** The TSA's reply stamping manifest.json's digest (RFC 3161), when a TSA is configured. */
export const TIMESTAMP_FILE = 'manifest.tsr';
/** Files that seal a pack; everything else in it is listed in SHA256SUMS. */
export const SEAL_FILES = [SUMS_FILE, SIGNATURE_FILE, ATTESTATION_FILE] as const;

export const IN_TOTO_STATEMENT = 'https://in-toto.io/Statement/v1';
export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const PREDICATE_TYPE = 'https://github.com/nhi-audit/nhi-audit/evidence-pack/v1';

export interface FileDigest {
  path: string;
  sha256: string;
  size: number;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fileChunks(file, 1 << 20)) hash.update(chunk);
  return hash.digest('hex');
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * sha256 of text given in many small pieces, handed to the hash a block at a time: a call per finding cost about
 * three times as much for a million and a half findings.
 */
export class TextDigest {
  private pending = '';

  constructor(
    start: string,
    private readonly hash = createHash('sha256'),
  ) {
    this.pending = start;
  }

  update(text: string): void {
    this.pending += text;
    if (this.pending.length >= 1 << 16) this.flush();
  }

  copy(): TextDigest {
    this.flush();
    return new TextDigest('', this.hash.copy());
  }

  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  private flush(): void {
    this.hash.update(this.pending);
    this.pending = '';
  }
}

/**
 * Every regular file under `dir` as a sorted pack path (`/`-separated), and every directory that holds nothing
 * (a sealed pack has none: an empty folder is content no digest covers). Links and other special files are refused.
 */
export async function walkPack(dir: string): Promise<{ files: string[]; emptyDirectories: string[] }> {
  const files: string[] = [];
  const emptyDirectories: string[] = [];
  async function walk(relative: string): Promise<void> {
    const entries = await readdir(path.join(dir, relative), { withFileTypes: true });
    if (entries.length === 0 && relative) emptyDirectories.push(relative);
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile()) files.push(child);
      else throw new Error(`${child} is not a regular file (links are not allowed in a pack)`);
    }
  }
  await walk('');
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return { files: files.sort(byCodePoint), emptyDirectories: emptyDirectories.sort(byCodePoint) };
}

export async function listPackFiles(dir: string): Promise<string[]> {
  return (await walkPack(dir)).files;
}

/** Removes folders left empty (a source that failed before its first page), deepest first, before a pack is sealed. */
export async function pruneEmptyDirectories(dir: string): Promise<void> {
  for (;;) {
    const { emptyDirectories } = await walkPack(dir);
    if (emptyDirectories.length === 0) return;
    for (const empty of emptyDirectories) await rmdir(path.join(dir, empty));
  }
}

/**
 * Writes text given whole or in pieces, gathered into blocks of a mebibyte (a population written an item at a
 * time would otherwise cost a system call per item), and digests it on the way: the file is never read back.
 */
export async function writeDigested(file: string, pack: string, content: string | Uint8Array | Iterable<string>): Promise<FileDigest> {
  const out = await DigestingWriter.open(file, pack);
  try {
    if (typeof content === 'string') await out.writeBytes(Buffer.from(content, 'utf8'));
    else if (content instanceof Uint8Array) await out.writeBytes(content);
    else {
      for (const piece of content) {
        const flushing = out.write(piece);
        if (flushing) await flushing;
      }
    }
  } catch (error) {
    await out.abandon();
    throw error;
  }
  return out.close();
}

const WRITE_BLOCK = 1 << 20;
/** Blocks a writer lets the disk fall behind by before it waits: a few mebibytes outside the heap at most. */
const BLOCKS_AHEAD = 4;

/**
 * A pack file written a piece at a time as its content is made, digested on the way. Each piece is encoded into a
 * block of a mebibyte outside the JavaScript heap at once, so no piece outlives the call that wrote it.
 */
export class DigestingWriter {
  private readonly hash = createHash('sha256');
  private size = 0;
  private block = Buffer.allocUnsafe(WRITE_BLOCK);
  private used = 0;
  /** Blocks handed to the file system and not yet written, oldest first: the disk works while the next is made. */
  private readonly inFlight: Promise<void>[] = [];

  private constructor(
    private readonly file: string,
    private readonly pack: string,
    private readonly handle: FileHandle | undefined,
  ) {}

  static async open(file: string, pack: string): Promise<DigestingWriter> {
    return new DigestingWriter(file, pack, await open(file, 'w'));
  }

  /** The digest of what a file would hold, written nowhere: a sealed file's content made again, to compare. */
  static digestOnly(pack: string): DigestingWriter {
    return new DigestingWriter(pack, pack, undefined);
  }

  /** The bytes written so far. */
  get written(): number {
    return this.size + this.used;
  }

  /** Adds a piece of text; a promise, to wait for before the next piece, only when the disk is blocks behind. */
  write(piece: string): Promise<void> | undefined {
    // A UTF-16 code unit takes at most three bytes of UTF-8, so a piece within this bound fits in what is left.
    if (piece.length * 3 <= WRITE_BLOCK - this.used) {
      this.used += this.block.write(piece, this.used, 'utf8');
      return undefined;
    }
    return this.flushThen(piece);
  }

  /** Adds bytes the caller no longer changes: they may still be being written when the promise settles. */
  async writeBytes(bytes: Uint8Array): Promise<void> {
    this.flushBlock();
    this.send(bytes);
    await this.keepUp();
  }

  /** Writes what is pending and closes the file: its digest, as the seal lists it. */
  async close(): Promise<FileDigest> {
    try {
      this.flushBlock();
      await this.keepUp(0);
    } finally {
      await this.handle?.close();
    }
    return { path: this.pack, sha256: this.hash.digest('hex'), size: this.size };
  }

  /** Closes the file after a failure; the staging folder it is in is discarded. */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0));
    await this.handle?.close().catch(() => undefined);
  }

  private async flushThen(piece: string): Promise<void> {
    this.flushBlock();
    if (piece.length * 3 > WRITE_BLOCK) this.send(Buffer.from(piece, 'utf8'));
    else this.used += this.block.write(piece, this.used, 'utf8');
    await this.keepUp();
  }

  private flushBlock(): void {
    if (this.used === 0) return;
    const full = this.block.subarray(0, this.used);
    // A fresh block, as the full one is still being written while the next pieces come.
    this.block = Buffer.allocUnsafe(WRITE_BLOCK);
    this.used = 0;
    this.send(full);
  }

  /** Digests the bytes in file order now, and writes them at their own offset without waiting for the disk. */
  private send(bytes: Uint8Array): void {
    this.hash.update(bytes);
    const written = this.writeAt(bytes, this.size);
    // Held and awaited in order by keepUp; a failure is raised there, not as an unhandled rejection meanwhile.
    written.catch(() => undefined);
    this.inFlight.push(written);
    this.size += bytes.length;
  }

  private async writeAt(bytes: Uint8Array, position: number): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    // One write(2) may take fewer bytes than given (a full disk, a signal): write the rest rather than seal a short file.
    for (let offset = 0; offset < bytes.length; ) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, position + offset);
      if (bytesWritten === 0) throw new Error(`${this.file}: the file system took no bytes at offset ${position + offset}`);
      offset += bytesWritten;
    }
  }

  /** Waits until no more than `ahead` blocks are still being written, raising the first write that failed. */
  private async keepUp(ahead = BLOCKS_AHEAD): Promise<void> {
    while (this.inFlight.length > ahead) await this.inFlight.shift();
  }
}

/**
 * Files past this many bytes in all are digested on threads, a lane each: a 100 000-identity pack holds about a
 * gigabyte, and every command that opens a pack digests all of it first. Below it, starting threads costs more.
 */
export const DIGEST_THREADS_FROM = 64 << 20;
const MAX_DIGEST_LANES = 4;

export interface DigestWorkerData {
  dir: string;
  files: string[];
}
export type DigestMessage = { digests: FileDigest[] } | { error: { message: string; code?: string } };

/** Each file's sha256 and size, in the order given; on threads when they are large enough (`from` bytes in all). */
export async function digestFiles(dir: string, files: readonly string[], from = DIGEST_THREADS_FROM): Promise<FileDigest[]> {
  const sizes = await Promise.all(files.map(async (file) => (await lstat(path.join(dir, file))).size));
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const laneCount = Math.min(availableParallelism(), MAX_DIGEST_LANES, files.length);
  if (total < from || laneCount < 2) return digestFilesHere(dir, files);
  // The largest file first, each to the lane with the fewest bytes so far: the lanes end close together.
  const lanes = Array.from({ length: laneCount }, () => ({ files: [] as string[], bytes: 0 }));
  for (const i of [...files.keys()].sort((a, b) => sizes[b]! - sizes[a]!)) {
    const lane = lanes.reduce((least, next) => (next.bytes < least.bytes ? next : least));
    lane.files.push(files[i]!);
    lane.bytes += sizes[i]!;
  }
  const digested = new Map<string, FileDigest>();
  for (const digests of await Promise.all(lanes.map((lane) => digestOnThread(dir, lane.files)))) for (const d of digests) digested.set(d.path, d);
  return files.map((file) => digested.get(file)!);
}

/** Each file's sha256 and size, on this thread. */
export async function digestFilesHere(dir: string, files: readonly string[]): Promise<FileDigest[]> {
  const digests: FileDigest[] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    try {
      digests.push({ path: file, sha256: await sha256File(full), size: (await lstat(full)).size });
    } catch (error) {
      // A failed read(2) does not say which file it was reading.
      const { message, code } = error as NodeJS.ErrnoException;
      throw message.includes(full) ? error : Object.assign(new Error(`${full}: ${message}`), code ? { code } : {});
    }
  }
  return digests;
}

function digestOnThread(dir: string, files: string[]): Promise<FileDigest[]> {
  return new Promise((resolve, reject) => {
    const worker = startThread(new URL('./digest-worker.js', import.meta.url), { workerData: { dir, files } satisfies DigestWorkerData });
    let settled = false;
    worker.once('message', (message: DigestMessage) => {
      settled = true;
      if ('digests' in message) resolve(message.digests);
      else reject(Object.assign(new Error(message.error.message), message.error.code ? { code: message.error.code } : {}));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', () => {
      if (!settled) reject(new Error(`digesting ${files.length} files of ${dir} stopped before its end`));
    });
  });
}

/** `sha256sum -c` format: the digest, two spaces (text mode), the path. */
export function formatSums(digests: readonly FileDigest[]): string {
  return digests.map((d) => `${d.sha256}  ${d.path}\n`).join('');
}

/** DSSE pre-authentication encoding: what the signature covers, so the envelope's JSON needs no canonical form. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/**
 * The exact bytes an envelope is written as, its fields in a fixed order; verify compares against them, so no
 * byte of the file (a space, a reordered key) can change.
 */
export function serializeEnvelope({ payloadType, payload, signatures }: DsseEnvelope): string {
  return `${JSON.stringify({ payloadType, payload, signatures: signatures.map(({ keyid, sig }) => ({ keyid, sig })) }, null, 2)}\n`;
}

export function signEnvelope(statement: unknown, key: SigningKey): DsseEnvelope {
  const payload = Buffer.from(stableStringify(statement), 'utf8');
  const sig = sign(null, pae(PAYLOAD_TYPE, payload), key.privateKey);
  return { payloadType: PAYLOAD_TYPE, payload: payload.toString('base64'), signatures: [{ keyid: key.keyId, sig: sig.toString('base64') }] };
}

export function signBytes(data: Buffer, privateKey: KeyObject): Buffer {
  return sign(null, data, privateKey);
}

/**
 * Seals a folder whose content files (manifest.json included) are written: SHA256SUMS over every file,
 * an Ed25519 signature of SHA256SUMS, and an in-toto statement naming every file, in a signed DSSE envelope.
 */
export async function seal(
  dir: string,
  key: SigningKey,
  predicate: Record<string, unknown>,
  written: readonly FileDigest[] = [],
): Promise<{ attestationDigest: string }> {
  const files = await listPackFiles(dir);
  const sealFiles: readonly string[] = SEAL_FILES;
  const present = files.filter((f) => sealFiles.includes(f));
  if (present.length > 0) throw new Error(`${dir} is already sealed (${present.join(', ')})`);
  // Files digested as they were written are not read again; every other file is.
  const known = new Map(written.map((d) => [d.path, d]));
  for (const digest of await digestFiles(dir, files.filter((f) => !known.has(f)))) known.set(digest.path, digest);
  const digests = files.map((f) => known.get(f)!);
  const sums = Buffer.from(formatSums(digests), 'utf8');
  await writeFile(path.join(dir, SUMS_FILE), sums);
  const signature = signBytes(sums, key.privateKey);
  await writeFile(path.join(dir, SIGNATURE_FILE), signature);

  const subjects = [
    ...digests.map((d) => ({ name: d.path, digest: { sha256: d.sha256 } })),
    { name: SUMS_FILE, digest: { sha256: sha256(sums) } },
    { name: SIGNATURE_FILE, digest: { sha256: sha256(signature) } },
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
  const statement = { _type: IN_TOTO_STATEMENT, subject: subjects, predicateType: PREDICATE_TYPE, predicate };
  const envelope = serializeEnvelope(signEnvelope(statement, key));
  await writeFile(path.join(dir, ATTESTATION_FILE), envelope);
  return { attestationDigest: sha256(envelope) };
}
