import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts its own local system on ephemeral ports: files may run side by side.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for a state that arrives; its 1 s default is what a fresh browser page or a
    // workflow takes under a load average of 10 on two cores (a CI run timed out a phone page's
    // first render at 1 s). A poll still fails, loudly, when the state never comes.
    expect: { poll: { timeout: 15_000 } },
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
  },
});
