import { describe, expect, it } from 'vitest';
import { sourceProgress } from '../../src/commands/context.js';
import type { SourceResult } from '../../src/engine/collect.js';

function stream(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, stream: { isTTY, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream };
}

const result = (verdict: 'complete' | 'unreconciled' | 'incomplete'): SourceResult => ({
  identities: [],
  completeness: { source: 'aws', connector: 'aws-iam', verdict, startedAt: '2026-11-20T00:00:00.000Z', finishedAt: '2026-11-20T00:00:01.500Z', scopes: [], identities: 23, errors: [] },
});

describe('source progress', () => {
  it('prints one line per finished source on a terminal', () => {
    const { lines, stream: tty } = stream(true);
    const progress = sourceProgress(tty)!;
    progress(result('complete'));
    progress(result('unreconciled'));
    progress(result('incomplete'));
    expect(lines).toEqual([
      '  aws              23 identities  complete     1.5 s\n',
      '  aws              23 identities  unreconciled 1.5 s\n',
      '  aws              23 identities  INCOMPLETE   1.5 s\n',
    ]);
  });

  it('prints nothing when stderr is not a terminal', () => {
    expect(sourceProgress(stream(false).stream)).toBeUndefined();
  });
});
