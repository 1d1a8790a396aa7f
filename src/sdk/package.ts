import { z } from 'zod';
import { IdentityKindSchema } from './inventory.js';
import { SDK_MAJOR, SDK_VERSION } from './version.js';

/** A connector id: kebab-case, the first part of every identity id it yields. */
export const ConnectorIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');

const isFunction = (value: unknown) => typeof value === 'function';

/**
 * What is wrong with a connector package's default export, one problem a line; empty when it is a connector this
 * SDK can run: an id, a title, the kinds it yields, a zod object schema for its settings, `connect` and `collect`,
 * and the SDK major it was built for.
 */
export function connectorProblems(candidate: unknown): string[] {
  if (typeof candidate !== 'object' || candidate === null) {
    return ['its default export is not a connector: end its entry module with `export default defineConnector({ ... })`'];
  }
  const c = candidate as Record<string, unknown>;
  const problems: string[] = [];
  if (!ConnectorIdSchema.safeParse(c.id).success) problems.push('id: name the connector in lowercase letters, digits and dashes (it starts every identity id)');
  if (typeof c.title !== 'string' || c.title.length === 0) problems.push('title: say in a few words what the connector reads');
  if (!z.array(IdentityKindSchema).min(1).safeParse(c.kinds).success) problems.push(`kinds: list the identity kinds it yields (${IdentityKindSchema.options.join(', ')})`);
  if (!(c.config instanceof z.ZodObject)) problems.push('config: the schema of its settings must be a z.object(...) made with the `z` that nhi-audit/sdk exports');
  for (const name of ['connect', 'collect'] as const) if (!isFunction(c[name])) problems.push(`${name}: must be a function`);
  for (const name of ['fromRaw', 'checkInputs', 'sandbox'] as const) if (c[name] !== undefined && !isFunction(c[name])) problems.push(`${name}: must be a function when present`);
  if (c.sdkVersion === undefined) {
    problems.push(`sdkVersion: name the nhi-audit SDK major version it was built for (this nhi-audit provides SDK ${SDK_VERSION}: sdkVersion: ${SDK_MAJOR})`);
  } else if (c.sdkVersion !== SDK_MAJOR) {
    problems.push(`sdkVersion: it was built for nhi-audit SDK ${String(c.sdkVersion)}, but this nhi-audit provides SDK ${SDK_VERSION}; use a release of the connector built for SDK ${SDK_MAJOR}, or an nhi-audit that provides SDK ${String(c.sdkVersion)}`);
  }
  return problems;
}
