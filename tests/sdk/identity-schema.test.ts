import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { IdentitySchema } from '../../src/sdk/index.js';
import { stableStringify } from '../../src/stable-json.js';
import { aPopulation } from '../helpers/identity-builder.js';

/**
 * Where a schema could give back other data than it was given: an object that strips unknown keys instead of
 * refusing them, or a default, transform, pipe or catch. The pack readers' threads hand on an identity's text as
 * read once it validates (src/evidence/pack-list-worker.ts), which is right only while IdentitySchema has none.
 */
function changesInput(schema: z.ZodType, at = '$'): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const inner = (child: unknown, where: string) => changesInput(child as z.ZodType, where);
  switch (def.type) {
    case 'object': {
      const catchall = (def.catchall as { _zod: { def: { type: string } } } | undefined)?._zod.def.type;
      const shape = def.shape as Record<string, z.ZodType>;
      return [...(catchall === 'never' ? [] : [`${at}: an object that is not strict`]), ...Object.entries(shape).flatMap(([key, child]) => inner(child, `${at}.${key}`))];
    }
    case 'optional':
    case 'nullable':
      return inner(def.innerType, at);
    case 'array':
      return inner(def.element, `${at}[]`);
    case 'union':
      return (def.options as z.ZodType[]).flatMap((option, i) => inner(option, `${at}|${i}`));
    case 'record':
      return [...inner(def.keyType, `${at}{key}`), ...inner(def.valueType, `${at}{}`)];
    case 'string':
    case 'number':
    case 'boolean':
    case 'enum':
    case 'literal':
    case 'null':
    case 'unknown':
      return [];
    default:
      return [`${at}: a ${def.type}, which may give back other data`];
  }
}

describe('IdentitySchema gives back exactly what it validates', () => {
  it('has only strict objects and no default, transform, pipe or catch', () => {
    expect(changesInput(IdentitySchema)).toEqual([]);
  });

  it('finds what it must: an object that strips, and a default', async () => {
    const { z } = await import('zod');
    expect(changesInput(z.object({ a: z.array(z.object({ b: z.string() })) }).strict())).toEqual(['$.a[]: an object that is not strict']);
    expect(changesInput(z.object({ a: z.string().default('x') }).strict())).toEqual(['$.a: a default, which may give back other data']);
  });

  it('returns any identity as the same JSON', () => {
    fc.assert(
      fc.property(aPopulation(new Date('2026-11-20T00:00:00Z'), { minLength: 1, maxLength: 5 }), (identities) => {
        for (const identity of identities) {
          const given = JSON.parse(JSON.stringify(identity)) as unknown;
          expect(stableStringify(IdentitySchema.parse(given))).toBe(stableStringify(given));
        }
      }),
      { numRuns: 50 },
    );
  });
});
