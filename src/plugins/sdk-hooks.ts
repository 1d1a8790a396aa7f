/**
 * Module resolution hooks (node:module `register`) for connector packages: `nhi-audit/sdk` resolves to the SDK of
 * the nhi-audit that loads them, wherever the package sits. One SDK in the process means one zod, one set of error
 * classes, and the SDK version the package was checked against is the one it runs with.
 */

interface ResolveResult {
  url: string;
  shortCircuit?: boolean;
}

let sdkUrl = '';

export function initialize(data: { sdkUrl: string }): void {
  sdkUrl = data.sdkUrl;
}

export async function resolve(
  specifier: string,
  context: unknown,
  nextResolve: (specifier: string, context: unknown) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  if (specifier === 'nhi-audit/sdk') return { url: sdkUrl, shortCircuit: true };
  return nextResolve(specifier, context);
}
