/** Dependencies point inward: engine and domain are pure and import nothing of the outer layers. */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'engine-is-pure',
      comment: 'engine/ may import only itself and domain/, and no Node built-ins (no I/O).',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { pathNot: ['^src/engine/', '^src/domain/', 'node_modules'] },
    },
    {
      name: 'engine-no-node-io',
      severity: 'error',
      from: { path: '^src/(engine|domain)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', 'node_modules'] },
    },
    {
      name: 'inner-layers-do-not-know-outer',
      comment: 'Nothing imports the entry points (cli, http) except the composition root.',
      severity: 'error',
      from: { pathNot: ['^src/(cli|http|runtime|index\\.ts)'] },
      to: { path: '^src/(cli|http)/' },
    },
    {
      name: 'app-does-not-know-adapters',
      comment: 'Use cases define ports; workers, adapters and the composition root implement them.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/(jobs|payouts|runtime)/' },
    },
    {
      name: 'store-does-not-know-app',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/(app|jobs|payouts|runtime|http|cli)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
