import { defineConfig } from 'vitest/config'

// Tests prove behaviour, not speed: on a loaded machine a test may take many times its usual time, so no
// deadline sits anywhere near a normal run. The limits below only stop a test that hangs.
const HANG = 10 * 60_000

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: HANG,
    hookTimeout: HANG,
    teardownTimeout: HANG,
    // Each file in its own process (tests start git processes and HTTP servers); files
    // run two at a time, one per core of the machines this runs on.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
    setupFiles: ['test/setup.ts'],
    // GitHub's workflow parser imports its schema JSON without an import attribute, which Node refuses:
    // let vite transform it (the workflow runner in test/local-github/workflows uses it).
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
})
