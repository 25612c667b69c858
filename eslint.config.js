import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'examples/**', 'src/core/model/generated/**', 'src/core/schema/generated/**', '.bench/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The action logs only through src/action/log.ts, which keeps text from the repository from starting a
    // workflow command line (a line beginning with `::`).
    files: ['src/**/*.ts'],
    ignores: ['src/action/log.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='core'][property.name=/^(info|notice|warning|error|debug|setFailed)$/]",
          message: 'Log through src/action/log.ts: it escapes text from the repository.',
        },
      ],
    },
  },
  {
    // The pure core knows nothing of GitHub, the file system, processes or the clock.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/adapters/**', '**/cli/**', '**/action/**'], message: 'The core must not import adapters.' },
            { group: ['node:fs*', 'fs', 'fs/*', 'node:child_process', 'child_process', 'simple-git', '@actions/*', '@octokit/*'], message: 'The core is pure: pass data in.' },
          ],
        },
      ],
    },
  },
)
