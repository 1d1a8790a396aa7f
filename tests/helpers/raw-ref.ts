/** An identity's `rawRef` taken apart: the raw file (below raw/), the page's line in it, and the JSON pointer. */
export function splitRawRef(rawRef: string): { file: string; line: number | undefined; pointer: string } {
  const [location, pointer = ''] = rawRef.split('#') as [string, string?];
  const match = /^(.*):(\d+)$/.exec(location);
  const file = (match ? match[1]! : location).replace(/^raw\//, '');
  return { file, line: match ? Number(match[2]) : undefined, pointer };
}

/** The page a rawRef names, from its file's text, and the value its pointer leads to in that page. */
export function resolveRawRef(rawRef: string, fileText: (file: string) => string): { page: Record<string, unknown>; value: unknown } {
  const { file, line, pointer } = splitRawRef(rawRef);
  const text = fileText(file);
  const page = JSON.parse(line === undefined ? text : text.split('\n')[line - 1]!) as Record<string, unknown>;
  const value = pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], page);
  return { page, value };
}
