import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests start git processes and HTTP servers; two cores, so keep the parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
    setupFiles: ['test/setup.ts'],
    // GitHub's workflow parser imports its schema JSON without an import attribute, which Node refuses:
    // let vite transform it (the workflow runner in test/local-github/workflows uses it).
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
})
