/**
 * Text that reaches a terminal from provider data (identity names, messages, file names) could drive it: C0 and
 * C1 controls move the cursor or rewrite the screen, and bidi overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069) make text read differently from what it is. Each such character is shown as an escape instead.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_BUT_LINES = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escape(char: string): string {
  const code = char.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One value (a cell, a name): every control character escaped, line breaks included. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** A whole message of our own lines: escaped as `safeText`, but its line breaks kept. */
export function safeLines(text: string): string {
  return text.replace(UNSAFE_BUT_LINES, escape);
}
