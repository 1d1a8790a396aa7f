import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/**
 * 64 KiB: a piece whose text V8 keeps in its young generation. A mebibyte piece is a large object, given pages of
 * its own and handed back after each collection, and with a fresh buffer for every read the kernel mapped a
 * gigabyte of new pages to read a 100 000-identity pack.
 */
export const CHUNK_BYTES = 1 << 16;

/**
 * A file's bytes from offset `from` in pieces read into one buffer, reused: each piece is valid only until the next
 * is asked for, so a caller that keeps one copies it.
 */
export async function* fileChunks(file: string, size = CHUNK_BYTES, from = 0): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(size);
    for (let position = from; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, size, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** A UTF-8 file's text in pieces, a character split between two reads kept whole. */
export async function* fileText(file: string, size = CHUNK_BYTES): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const bytes of fileChunks(file, size)) {
    const text = decoder.write(bytes);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/**
 * A file's lines, without their line breaks (a `\r` before a `\n` included). Split on the bytes, which in UTF-8
 * never hold a newline inside a character, and decoded a line at a time: readline builds a long line (a raw page
 * is up to a megabyte) by appending each piece of it, which took a fifth of `collect --from-raw`.
 */
export async function* fileLines(file: string, size = CHUNK_BYTES): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  const line = (bytes: Buffer, ended: boolean) => {
    const whole = pending.length === 0 ? bytes : Buffer.concat([...pending, bytes]);
    pending = [];
    return whole.toString('utf8', 0, ended && whole.at(-1) === 13 ? whole.length - 1 : whole.length);
  };
  for await (const bytes of fileChunks(file, size)) {
    let start = 0;
    for (let end = bytes.indexOf(10); end !== -1; end = bytes.indexOf(10, start)) {
      yield line(bytes.subarray(start, end), true);
      start = end + 1;
    }
    // The chunk's buffer is read into again: the start of the next line is copied out.
    if (start < bytes.length) pending.push(Buffer.from(bytes.subarray(start)));
  }
  if (pending.length > 0) yield line(Buffer.alloc(0), false);
}
