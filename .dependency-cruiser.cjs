// The architecture, checked by `npm run lint` (dependency-cruiser): what may import what.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-import-loops',
      comment: 'A loop makes load order matter and hides which module owns a concept.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'fl-core-never-imports-an-app',
      comment: 'fl-core runs in tabs, workers, Node silos and the coordinator: it cannot know any of them.',
      severity: 'error',
      from: { path: '^packages/fl-core/' },
      to: { path: '^apps/' },
    },
    {
      name: 'protocol-imports-only-zod',
      comment:
        'The wire messages are the contract every peer (tabs, flockctl, the Python client) reads: schemas only. The event maps name the secure-aggregation messages by type alone.',
      severity: 'error',
      from: {
        path: '^packages/fl-core/src/protocol/',
        pathNot: ['\\.test\\.ts$', '^packages/fl-core/src/protocol/dashboard\\.ts$', '^packages/fl-core/src/protocol/asyncapi\\.ts$'],
      },
      to: { pathNot: ['^packages/fl-core/src/protocol/', '^node_modules/zod/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'protocol-document-imports-only-message-schemas',
      comment: 'The published protocol document (asyncapi.ts) is built from every message schema, those of secure aggregation and analytics included.',
      severity: 'error',
      from: { path: '^packages/fl-core/src/protocol/asyncapi\\.ts$' },
      to: {
        pathNot: [
          '^packages/fl-core/src/protocol/',
          '^node_modules/zod/',
          '^packages/fl-core/src/config/federation\\.ts$',
          '^packages/fl-core/src/(secagg|analytics)/messages\\.ts$',
        ],
      },
    },
    {
      name: 'dashboard-messages-import-only-zod-and-the-config',
      comment: "A federation's summary, which the dashboard reads, carries its config; the config takes the wire's words from protocol/.",
      severity: 'error',
      from: { path: '^packages/fl-core/src/protocol/dashboard\\.ts$' },
      to: { pathNot: ['^packages/fl-core/src/protocol/', '^node_modules/zod/', '^packages/fl-core/src/config/federation\\.ts$'] },
    },
    {
      name: 'config-imports-only-zod-protocol-and-the-strategy-catalog',
      comment:
        'The federation config and its one check (federationConfigProblem) run wherever a config is written: the dashboard form, flockctl, the coordinator.',
      severity: 'error',
      from: { path: '^packages/fl-core/src/config/', pathNot: '\\.test\\.ts$' },
      to: {
        pathNot: [
          '^packages/fl-core/src/(config|protocol)/',
          '^node_modules/zod/',
          '^packages/fl-core/src/strategy/(catalog|federationStrategy|privacy/privacyConfig)\\.ts$',
          '^packages/fl-core/src/secagg/(config|params)\\.ts$',
        ],
      },
    },
    {
      name: 'config-and-protocol-never-reach-tfjs',
      comment: 'The dashboard and the device page load them without tfjs, which only the model zoo, training and the Node platform load.',
      severity: 'error',
      from: { path: '^packages/fl-core/src/(config|protocol)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^packages/fl-core/src/(models|training|node)/', reachable: true },
    },
    {
      name: 'rounds-import-only-fl-core',
      comment: 'The round engine is a pure state machine: no sockets, storage or HTTP, so it is testable alone.',
      severity: 'error',
      from: { path: '^apps/coordinator/src/rounds/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: ['^apps/coordinator/src/rounds/', '^packages/fl-core/'] },
    },
    {
      name: 'production-never-imports-testing',
      // A contract suite (storage/storeContract.ts) is test code that each implementation's test file runs.
      comment: 'Fixtures and fakes stay out of the coordinator and the device bundle.',
      severity: 'error',
      from: { path: '^(apps|packages)/', pathNot: ['\\.test\\.ts$', 'Contract\\.ts$', '/testing/', '/bench/', '/fuzz/'] },
      to: { path: '/src/testing/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)dist/', '^node_modules/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
