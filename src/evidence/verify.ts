import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { keyIdOf } from './keys.js';
import { readTimeStampReply } from './timestamp.js';
import {
  ATTESTATION_FILE,
  IN_TOTO_STATEMENT,
  MANIFEST_FILE,
  PAYLOAD_TYPE,
  SEAL_FILES,
  SIGNATURE_FILE,
  SUMS_FILE,
  TIMESTAMP_FILE,
  digestFiles,
  listPackFiles,
  pae,
  serializeEnvelope,
  sha256,
  type DsseEnvelope,
} from './seal.js';

export interface Verification {
  ok: boolean;
  /** One line per failed check, naming the file. */
  problems: string[];
  files: number;
  keyId: string;
  /** The manifest, when it could be read: callers show run id, cycle and verdict. */
  manifest?: Record<string, unknown>;
  attestationDigest?: string;
}

const SUMS_LINE = /^([0-9a-f]{64})  (.+)$/;

/** A pack path must stay inside the pack: relative, no `..`, no backslashes or control characters. */
export function isSafePackPath(name: string): boolean {
  if (name.startsWith('/') || name.includes('\\') || /[\0-\x1f]/.test(name)) return false;
  return name.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

function parseSums(text: string, problems: string[]): Map<string, string> {
  const entries = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    const match = SUMS_LINE.exec(line);
    if (!match) {
      problems.push(`${SUMS_FILE}: line ${i + 1} is not "<sha256>  <path>"`);
      return;
    }
    const [, digest, name] = match as unknown as [string, string, string];
    if (!isSafePackPath(name)) problems.push(`${SUMS_FILE}: line ${i + 1}: ${JSON.stringify(name)} points outside the pack`);
    else if (entries.has(name)) problems.push(`${SUMS_FILE}: ${name} is listed twice`);
    else entries.set(name, digest);
  });
  return entries;
}

function checkAttestation(
  bytes: Buffer,
  publicKey: KeyObject,
  keyId: string,
  expected: Map<string, string>,
  problems: string[],
): void {
  let envelope: DsseEnvelope;
  try {
    envelope = JSON.parse(bytes.toString('utf8')) as DsseEnvelope;
  } catch {
    problems.push(`${ATTESTATION_FILE}: not JSON`);
    return;
  }
  if (serializeEnvelope(envelope) !== bytes.toString('utf8')) {
    problems.push(`${ATTESTATION_FILE}: bytes differ from the envelope as sealed`);
  }
  if (envelope.payloadType !== PAYLOAD_TYPE) problems.push(`${ATTESTATION_FILE}: payloadType is not ${PAYLOAD_TYPE}`);
  const payload = Buffer.from(String(envelope.payload ?? ''), 'base64');
  const signature = envelope.signatures?.find((s) => s.keyid === keyId);
  if (!signature) {
    problems.push(`${ATTESTATION_FILE}: no signature by key ${keyId}`);
  } else if (!verifySignature(null, pae(String(envelope.payloadType), payload), publicKey, Buffer.from(signature.sig, 'base64'))) {
    problems.push(`${ATTESTATION_FILE}: the DSSE signature does not verify`);
  }
  let statement: { _type?: string; subject?: { name: string; digest: { sha256: string } }[] };
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    problems.push(`${ATTESTATION_FILE}: payload is not a JSON statement`);
    return;
  }
  if (statement._type !== IN_TOTO_STATEMENT) problems.push(`${ATTESTATION_FILE}: not an in-toto Statement v1`);
  const subjects = new Map((statement.subject ?? []).map((s) => [s.name, s.digest?.sha256]));
  for (const [name, digest] of expected) {
    if (subjects.get(name) !== digest) problems.push(`${ATTESTATION_FILE}: subject ${name} ${subjects.has(name) ? 'has another digest' : 'is missing'}`);
  }
  for (const name of subjects.keys()) if (!expected.has(name)) problems.push(`${ATTESTATION_FILE}: names ${name}, which is not in the pack`);
}

function checkManifest(bytes: Buffer, sums: Map<string, string>, keyId: string, problems: string[]): Record<string, unknown> | undefined {
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    problems.push(`${MANIFEST_FILE}: not JSON`);
    return undefined;
  }
  const files = (manifest.files ?? []) as { path: string; sha256: string }[];
  const listed = new Map(files.map((f) => [f.path, f.sha256]));
  for (const [name, digest] of sums) {
    if (name === MANIFEST_FILE || name === TIMESTAMP_FILE) continue;
    if (listed.get(name) !== digest) problems.push(`${MANIFEST_FILE}: files does not list ${name} with its digest`);
  }
  for (const name of listed.keys()) if (!sums.has(name)) problems.push(`${MANIFEST_FILE}: lists ${name}, which ${SUMS_FILE} does not`);
  const signing = manifest.signing as { keyId?: string } | undefined;
  if (signing?.keyId !== keyId) problems.push(`${MANIFEST_FILE}: signing.keyId is not the key ${keyId}`);
  return manifest;
}

/**
 * Checks a sealed pack offline: every digest, the Ed25519 signature of SHA256SUMS, the DSSE attestation,
 * the manifest's file list, and that the folder holds exactly the listed files, all inside the pack.
 */
export async function verifyPack(dir: string, publicKey: KeyObject): Promise<Verification> {
  const problems: string[] = [];
  const keyId = keyIdOf(publicKey);
  const result = (extra: Partial<Verification> = {}): Verification => ({ ok: problems.length === 0, problems, files: 0, keyId, ...extra });

  let present: string[];
  try {
    present = await listPackFiles(dir);
  } catch (error) {
    problems.push((error as Error).message);
    return result();
  }
  const read = async (name: string): Promise<Buffer | undefined> => {
    if (!present.includes(name)) {
      problems.push(`${name} is missing`);
      return undefined;
    }
    return readFile(path.join(dir, name));
  };

  const sumsBytes = await read(SUMS_FILE);
  const signature = await read(SIGNATURE_FILE);
  const attestation = await read(ATTESTATION_FILE);
  if (!sumsBytes) return result();
  const sums = parseSums(sumsBytes.toString('utf8'), problems);

  if (signature && !verifySignature(null, sumsBytes, publicKey, signature)) {
    problems.push(`${SIGNATURE_FILE}: the signature of ${SUMS_FILE} does not verify with key ${keyId}`);
  }

  const sealFiles: readonly string[] = SEAL_FILES;
  const content = present.filter((f) => !sealFiles.includes(f));
  for (const name of content) if (!sums.has(name)) problems.push(`${name} is in the pack but not in ${SUMS_FILE}`);
  for (const name of sums.keys()) if (!present.includes(name)) problems.push(`${name} is listed in ${SUMS_FILE} but missing`);
  if (present.includes(TIMESTAMP_FILE) && present.includes(MANIFEST_FILE)) {
    const stamped = readTimeStampReply(await readFile(path.join(dir, TIMESTAMP_FILE)));
    if (stamped.digest !== sha256(await readFile(path.join(dir, MANIFEST_FILE)))) problems.push(`${TIMESTAMP_FILE}: stamps another digest than manifest.json's`);
  }
  for (const digest of await digestFiles(dir, content.filter((f) => sums.has(f)))) {
    if (sums.get(digest.path) !== digest.sha256) problems.push(`${digest.path}: sha256 does not match ${SUMS_FILE}`);
  }

  if (attestation) {
    const expected = new Map(sums);
    expected.set(SUMS_FILE, sha256(sumsBytes));
    if (signature) expected.set(SIGNATURE_FILE, sha256(signature));
    checkAttestation(attestation, publicKey, keyId, expected, problems);
  }
  const manifestBytes = sums.has(MANIFEST_FILE) ? await read(MANIFEST_FILE) : undefined;
  if (!sums.has(MANIFEST_FILE)) problems.push(`${MANIFEST_FILE} is not listed in ${SUMS_FILE}`);
  const manifest = manifestBytes ? checkManifest(manifestBytes, sums, keyId, problems) : undefined;

  return result({ files: present.length, ...(manifest ? { manifest } : {}), ...(attestation ? { attestationDigest: sha256(attestation) } : {}) });
}
