import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Connector packages (examples/, templates/) import the public SDK by its package name; tests run it from source.
    alias: { 'nhi-audit/sdk': fileURLToPath(new URL('./src/sdk/index.ts', import.meta.url)) },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/temp-root.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The CLI silences the AWS SDK's note about its future Node requirement; tests run the SDK directly.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
