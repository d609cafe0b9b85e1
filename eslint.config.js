// One lint setup for the whole workspace; each package runs `eslint src`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.turbo/**', '**/.sandbox/**', 'sandbox/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'off',
    },
  },
  {
    // Services talk only through contracts: no app imports another app's code.
    files: ['apps/**/*.ts', 'packages/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@neurocards/bot-gateway',
                '@neurocards/billing',
                '@neurocards/orchestrator',
                '@neurocards/kie-dispatcher',
                '@neurocards/notifier',
                '**/apps/*/**',
                '../../*/src/**',
              ],
              message: 'apps exchange events through @neurocards/contracts, never code',
            },
          ],
        },
      ],
    },
  },
);
