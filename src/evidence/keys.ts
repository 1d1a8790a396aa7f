import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** sha256 of the DER SubjectPublicKeyInfo, hex: the id signatures and attestations name. */
  keyId: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

export function signingKeyFrom(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 key, got ${privateKey.asymmetricKeyType}`);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

export function generateSigningKey(): SigningKey {
  return signingKeyFrom(generateKeyPairSync('ed25519').privateKey);
}

export function publicKeyPem(key: SigningKey | KeyObject): string {
  const publicKey = 'publicKey' in key ? key.publicKey : key;
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * Writes `<name>.key` (PKCS#8 PEM, mode 0600) and `<name>.pub` (SPKI PEM) into `dir`, or nothing: every check
 * comes before the first write, and a half-written pair is removed, so a key never loses its public half.
 */
export async function writeKeyPair(key: SigningKey, dir: string, name = 'nhi-audit'): Promise<{ privateKeyFile: string; publicKeyFile: string }> {
  const privateKeyFile = path.join(dir, `${name}.key`);
  const publicKeyFile = path.join(dir, `${name}.pub`);
  const folder = await stat(dir).catch(() => undefined);
  if (folder && !folder.isDirectory()) throw new KeyPairError(`${dir} is a file, not a folder`);
  const present = [];
  for (const file of [privateKeyFile, publicKeyFile]) if (await lstat(file).catch(() => undefined)) present.push(file);
  if (present.length > 0) throw new KeyPairError(`${present.join(' and ')} already ${present.length > 1 ? 'exist' : 'exists'}`);
  await mkdir(dir, { recursive: true });
  await writeFile(privateKeyFile, key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600, flag: 'wx' });
  try {
    await chmod(privateKeyFile, 0o600);
    await writeFile(publicKeyFile, publicKeyPem(key), { flag: 'wx' });
  } catch (error) {
    await unlink(privateKeyFile).catch(() => undefined);
    throw error;
  }
  return { privateKeyFile, publicKeyFile };
}

/** A key pair cannot be written where asked; nothing was written. */
export class KeyPairError extends Error {}

export function parsePrivateKey(pem: string): SigningKey {
  return signingKeyFrom(createPrivateKey(pem));
}

export async function readPublicKey(file: string): Promise<KeyObject> {
  const key = createPublicKey(await readFile(file, 'utf8'));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: expected an Ed25519 public key, got ${key.asymmetricKeyType}`);
  return key;
}
