import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, formatPath } from '../sdk/index.js';
import type { FrameworkMapping } from '../writers/types.js';

const RequirementSchema = z
  .object({
    id: z.string().min(1),
    title: z.string().min(1),
    /** The controls whose findings evidence the requirement. */
    controls: z.array(z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a control id')).min(1),
  })
  .strict();

/** One framework at one version, Prowler-style: its requirements, each listing the controls that evidence it. */
export const FrameworkSchema = z
  .object({
    framework: z.string().min(1),
    version: z.string().min(1),
    description: z.string().min(1),
    /** Where the requirement ids were taken from, so a reviewer can check them. */
    source: z.string().min(1),
    requirements: z.array(RequirementSchema).min(1),
  })
  .strict()
  .superRefine((framework, context) => {
    const seen = new Set<string>();
    framework.requirements.forEach((requirement, i) => {
      if (seen.has(requirement.id)) context.addIssue({ code: 'custom', path: ['requirements', i, 'id'], message: `"${requirement.id}" is listed twice` });
      seen.add(requirement.id);
    });
  });
export type Framework = z.output<typeof FrameworkSchema>;

/** Reads every `*.json` framework in `dir`, sorted by framework and version; a bad file is a ConfigError naming it. */
export function loadFrameworks(dir: string): Framework[] {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
  const frameworks = files.map((name) => {
    const file = path.join(dir, name);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(file, [{ path: '', message: `not JSON: ${(error as Error).message}` }]);
    }
    const parsed = FrameworkSchema.safeParse(raw);
    if (!parsed.success) throw new ConfigError(file, parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
    return parsed.data;
  });
  return frameworks.sort((a, b) => a.framework.localeCompare(b.framework, 'en') || a.version.localeCompare(b.version, 'en', { numeric: true }));
}

/** The requirements of each framework that a control evidences; frameworks that name it nowhere are left out. */
export function mappingsFor(controlId: string, frameworks: readonly Framework[]): FrameworkMapping[] {
  return frameworks.flatMap(({ framework, version, requirements }) => {
    const ids = requirements.filter((r) => r.controls.includes(controlId)).map((r) => r.id);
    return ids.length > 0 ? [{ framework, version, ids }] : [];
  });
}
