import { register } from 'node:module';

/**
 * `node --import <this file>`: resolves `nhi-audit/sdk` to this nhi-audit's SDK for everything the process imports
 * afterwards, e.g. to run a connector package's own tests against it (`node --import .../register.js --test`).
 */
export function registerSdkResolution(): void {
  register(new URL('./sdk-hooks.js', import.meta.url), { data: { sdkUrl: new URL('../sdk/index.js', import.meta.url).href } });
}

registerSdkResolution();
