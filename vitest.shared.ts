// Test settings every package shares: a JSON report beside the package, which
// scripts/summarize-tests.mjs sums into one closing line for `npm test`.
export const sharedTestOptions = {
  reporters: ['default', 'json'],
  outputFile: { json: '.vitest-results.json' },
} as const
