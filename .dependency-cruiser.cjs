/**
 * The layer rules of functions/ (README "Layout"), checked by `npm run check`.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const ENTRY = '^functions/(http|workflows|scheduled|streams)/';

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'functions/domain holds the rules: nothing of AWS, no adapter, no SDK client.',
      severity: 'error',
      from: { path: '^functions/domain/' },
      to: {
        path: [
          '^functions/(adapters|commons|services|http|workflows|scheduled|streams)/',
          '@aws-sdk/',
          'aws-lambda',
          '@aws-lambda-powertools/',
        ],
      },
    },
    {
      name: 'adapters-import-no-handler',
      comment: 'Adapters serve use cases; they never reach up into an entry or a service.',
      severity: 'error',
      from: { path: '^functions/adapters/' },
      to: { path: [ENTRY, '^functions/services/'] },
    },
    {
      name: 'no-entry-imports-another-entry',
      comment: 'Each entry folder is its own bundle: shared code lives in services, adapters or commons.',
      severity: 'error',
      from: { path: ENTRY },
      to: { path: ENTRY, pathNot: '^functions/$1/' },
    },
    {
      name: 'no-handler-imports-another-handler',
      comment:
        'An HTTP handler parses, calls a service and presents: a use case two handlers share (MLflow and /v1) belongs to a service.',
      severity: 'error',
      from: { path: '^functions/http/' },
      to: { path: '^functions/http/' },
    },
    {
      name: 'services-import-no-entry',
      comment: 'Handlers, tasks, the drift job and the exporter call services, never the other way.',
      severity: 'error',
      from: { path: '^functions/(services|commons|presentation|api)/' },
      to: { path: ENTRY },
    },
    {
      name: 'functions-import-nothing-from-infra',
      comment: 'infra/ points at functions/ (and reads its shared facts); never the reverse.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^infra/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
