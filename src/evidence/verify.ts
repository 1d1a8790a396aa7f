import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { formatPath } from '../sdk/index.js';
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
  pae,
  serializeEnvelope,
  sha256,
  walkPack,
} from './seal.js';

export interface Verification {
  ok: boolean;
  /** One line per failed check, naming the file. */
  problems: string[];
  files: number;
  /** The key the pack says it is signed with (manifest.json's signing.keyId), when it could be read. */
  keyId?: string;
  /** True when the signatures were checked: a public key was given and it is the pack's key. */
  signatureChecked: boolean;
  /** The manifest, when it could be read: callers show run id, cycle and verdict. */
  manifest?: Record<string, unknown>;
  attestationDigest?: string;
}

const SUMS_LINE = /^([0-9a-f]{64})  (.+)$/;
const HEX_DIGEST = /^[0-9a-f]{64}$/;

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

/** Base64 exactly as Node writes it (standard alphabet, padded): any other spelling of the same bytes is an edit. */
function isCanonicalBase64(text: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && Buffer.from(text, 'base64').toString('base64') === text;
}

/** A DSSE envelope with exactly its three fields, and each signature with exactly its two. */
const EnvelopeSchema = z
  .object({
    payloadType: z.string(),
    payload: z.string(),
    signatures: z.array(z.object({ keyid: z.string(), sig: z.string() }).strict()),
  })
  .strict();

const StatementSchema = z.looseObject({
  _type: z.string(),
  subject: z.array(z.object({ name: z.string(), digest: z.object({ sha256: z.string() }).strict() }).strict()),
  predicateType: z.string(),
  predicate: z.record(z.string(), z.unknown()),
});

/** The statement's predicate repeats what the manifest says of the pack; the two must agree. */
function predicateMismatches(predicate: Record<string, unknown>, manifest: Record<string, unknown> | undefined): string[] {
  if (!manifest) return [];
  const expected: Record<string, unknown> =
    manifest.kind === 'sample-addendum' || manifest.kind === 'recertification-addendum'
      ? { kind: manifest.kind, packAttestationDigest: (manifest.pack as { attestationDigest?: unknown } | undefined)?.attestationDigest }
      : manifest.kind === 'shard-part'
        ? { kind: 'shard-part', planDigest: manifest.planDigest, shard: manifest.shard }
        : {
          runId: manifest.runId,
          cycle: (manifest.cycle as { id?: unknown } | undefined)?.id,
          asOf: manifest.asOf,
          verdict: manifest.verdict,
          previousAttestationDigest: (manifest.previous as { attestationDigest?: unknown } | null | undefined)?.attestationDigest ?? null,
        };
  return Object.entries(expected)
    .filter(([field, value]) => predicate[field] !== value)
    .map(([field]) => `${ATTESTATION_FILE}: predicate ${field} differs from ${MANIFEST_FILE}`);
}

/**
 * A DSSE envelope in exactly its sealed form, its one signature (checked when `key` is given) and its in-toto
 * statement: what a pack's attestation and a shard plan are. Problems are named after `file`.
 */
export function openEnvelope(
  bytes: Buffer,
  key: KeyObject | undefined,
  keyId: string | undefined,
  file: string,
  problems: string[],
): z.infer<typeof StatementSchema> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    problems.push(`${file}: not JSON`);
    return undefined;
  }
  const shape = EnvelopeSchema.safeParse(parsed);
  if (!shape.success) {
    for (const issue of shape.error.issues) problems.push(`${file}: ${formatPath(issue.path) || 'envelope'}: ${issue.message}`);
    return undefined;
  }
  const envelope = shape.data;
  if (serializeEnvelope(envelope) !== bytes.toString('utf8')) problems.push(`${file}: bytes differ from the envelope as sealed`);
  if (envelope.payloadType !== PAYLOAD_TYPE) problems.push(`${file}: payloadType is not ${PAYLOAD_TYPE}`);
  if (!isCanonicalBase64(envelope.payload)) problems.push(`${file}: payload is not canonical base64`);
  if (envelope.signatures.length !== 1) problems.push(`${file}: has ${envelope.signatures.length} signatures; it carries exactly one`);
  const [signature] = envelope.signatures;
  if (signature) {
    if (!isCanonicalBase64(signature.sig)) problems.push(`${file}: signature is not canonical base64`);
    if (keyId && signature.keyid !== keyId) problems.push(`${file}: signed by key ${signature.keyid}, not the expected key ${keyId}`);
    const payload = Buffer.from(envelope.payload, 'base64');
    if (key && !verifySignature(null, pae(envelope.payloadType, payload), key, Buffer.from(signature.sig, 'base64'))) {
      problems.push(`${file}: the DSSE signature does not verify`);
    }
  }
  let statement: z.infer<typeof StatementSchema>;
  try {
    const result = StatementSchema.safeParse(JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')));
    if (!result.success) throw new Error();
    statement = result.data;
  } catch {
    problems.push(`${file}: payload is not an in-toto statement`);
    return undefined;
  }
  if (statement._type !== IN_TOTO_STATEMENT) problems.push(`${file}: not an in-toto Statement v1`);
  return statement;
}

function checkAttestation(
  bytes: Buffer,
  key: KeyObject | undefined,
  keyId: string | undefined,
  expected: Map<string, string>,
  manifest: Record<string, unknown> | undefined,
  problems: string[],
): void {
  const statement = openEnvelope(bytes, key, keyId, ATTESTATION_FILE, problems);
  if (!statement) return;
  const subjects = new Map(statement.subject.map((s) => [s.name, s.digest.sha256]));
  if (subjects.size !== statement.subject.length) problems.push(`${ATTESTATION_FILE}: names a subject twice`);
  for (const [name, digest] of expected) {
    if (subjects.get(name) !== digest) problems.push(`${ATTESTATION_FILE}: subject ${name} ${subjects.has(name) ? 'has another digest' : 'is missing'}`);
  }
  for (const name of subjects.keys()) if (!expected.has(name)) problems.push(`${ATTESTATION_FILE}: names ${name}, which is not in the pack`);
  problems.push(...predicateMismatches(statement.predicate, manifest));
}

/** The parts of a manifest that verification relies on; a manifest without them fails cleanly, naming the field. */
const SealedManifestSchema = z.looseObject({
  files: z.array(z.looseObject({ path: z.string(), sha256: z.string().regex(HEX_DIGEST), size: z.number().int().nonnegative() })),
  signing: z.looseObject({ algorithm: z.literal('Ed25519'), keyId: z.string().regex(HEX_DIGEST, 'a sha256 key id') }),
  ipe: z
    .looseObject({ inputs: z.array(z.looseObject({ path: z.string(), sha256: z.string(), size: z.number() })) })
    .optional(),
});

function readManifest(bytes: Buffer, problems: string[]): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    problems.push(`${MANIFEST_FILE}: not JSON`);
    return undefined;
  }
  const parsed = SealedManifestSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues.slice(0, 10)) problems.push(`${MANIFEST_FILE}: ${formatPath(issue.path) || 'manifest'}: ${issue.message}`);
    return undefined;
  }
  return parsed.data;
}

/** The manifest's file list and its sealed inputs must be exactly what SHA256SUMS holds. */
function checkManifestFiles(manifest: z.infer<typeof SealedManifestSchema>, sums: Map<string, string>, problems: string[]): void {
  const listed = new Map(manifest.files.map((f) => [f.path, f.sha256]));
  for (const [name, digest] of sums) {
    if (name === MANIFEST_FILE || name === TIMESTAMP_FILE) continue;
    if (listed.get(name) !== digest) problems.push(`${MANIFEST_FILE}: files does not list ${name} with its digest`);
  }
  for (const name of listed.keys()) if (!sums.has(name)) problems.push(`${MANIFEST_FILE}: lists ${name}, which ${SUMS_FILE} does not`);
  const sizes = new Map(manifest.files.map((f) => [f.path, f.size]));
  for (const input of manifest.ipe?.inputs ?? []) {
    if (sums.get(input.path) !== input.sha256 || sizes.get(input.path) !== input.size) {
      problems.push(`${MANIFEST_FILE}: ipe.inputs names ${input.path}, which the pack does not hold with that digest and size`);
    }
  }
}

/**
 * Checks a sealed pack (or a sample addendum) offline: every digest, the file list (no extra, missing or empty
 * entries, nothing outside the pack), the manifest, and the DSSE attestation's exact form. The signatures are
 * checked when `keys` holds the key the pack names; a pack signed by a key not among them fails.
 * With no keys at all, everything but the signatures is checked (`signatureChecked: false`).
 */
export async function verifyPack(dir: string, keys: readonly KeyObject[]): Promise<Verification> {
  const problems: string[] = [];
  let keyId: string | undefined;
  let signatureChecked = false;
  const result = (extra: Partial<Verification> = {}): Verification => ({
    ok: problems.length === 0,
    problems,
    files: 0,
    ...(keyId ? { keyId } : {}),
    signatureChecked: signatureChecked && problems.length === 0,
    ...extra,
  });

  let present: string[];
  try {
    const tree = await walkPack(dir);
    present = tree.files;
    for (const empty of tree.emptyDirectories) problems.push(`${empty}/ is an empty folder; a sealed pack has none`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push(code === 'ENOENT' ? `${dir}: no such folder` : code === 'ENOTDIR' ? `${dir}: not a folder` : (error as Error).message);
    return result();
  }
  // A set: a pack of a large population holds thousands of files, and each is looked up.
  const presentSet = new Set(present);
  const read = async (name: string): Promise<Buffer | undefined> => {
    if (!presentSet.has(name)) {
      problems.push(`${name} is missing`);
      return undefined;
    }
    return readFile(path.join(dir, name));
  };

  const sumsBytes = await read(SUMS_FILE);
  const signature = await read(SIGNATURE_FILE);
  const attestation = await read(ATTESTATION_FILE);
  const manifestBytes = await read(MANIFEST_FILE);
  if (!sumsBytes) return result();
  const sums = parseSums(sumsBytes.toString('utf8'), problems);
  const manifest = manifestBytes ? readManifest(manifestBytes, problems) : undefined;
  if (manifest) keyId = (manifest.signing as { keyId: string }).keyId;

  let key: KeyObject | undefined;
  if (keys.length > 0 && keyId) {
    key = keys.find((k) => keyIdOf(k) === keyId);
    if (!key) problems.push(`${MANIFEST_FILE}: signed by key ${keyId}, which is not one of the public keys given (${keys.map(keyIdOf).join(', ')})`);
  }
  signatureChecked = key !== undefined;
  if (key && signature && !verifySignature(null, sumsBytes, key, signature)) {
    problems.push(`${SIGNATURE_FILE}: the signature of ${SUMS_FILE} does not verify with key ${keyId}`);
  }

  const sealFiles: readonly string[] = SEAL_FILES;
  const content = present.filter((f) => !sealFiles.includes(f));
  for (const name of content) if (!sums.has(name)) problems.push(`${name} is in the pack but not in ${SUMS_FILE}`);
  for (const name of sums.keys()) if (!presentSet.has(name)) problems.push(`${name} is listed in ${SUMS_FILE} but missing`);
  if (!sums.has(MANIFEST_FILE)) problems.push(`${MANIFEST_FILE} is not listed in ${SUMS_FILE}`);
  if (presentSet.has(TIMESTAMP_FILE) && manifestBytes) {
    try {
      const stamped = readTimeStampReply(await readFile(path.join(dir, TIMESTAMP_FILE)));
      if (stamped.digest !== sha256(manifestBytes)) problems.push(`${TIMESTAMP_FILE}: stamps another digest than manifest.json's`);
    } catch (error) {
      problems.push(`${TIMESTAMP_FILE}: not a time-stamp reply (${(error as Error).message})`);
    }
  }
  for (const digest of await digestFiles(dir, content.filter((f) => sums.has(f)))) {
    if (sums.get(digest.path) !== digest.sha256) problems.push(`${digest.path}: sha256 does not match ${SUMS_FILE}`);
  }
  if (manifest) checkManifestFiles(manifest as z.infer<typeof SealedManifestSchema>, sums, problems);

  if (attestation) {
    const expected = new Map(sums);
    expected.set(SUMS_FILE, sha256(sumsBytes));
    if (signature) expected.set(SIGNATURE_FILE, sha256(signature));
    checkAttestation(attestation, key, keyId, expected, manifest, problems);
  }

  return result({ files: present.length, ...(manifest ? { manifest } : {}), ...(attestation ? { attestationDigest: sha256(attestation) } : {}) });
}
