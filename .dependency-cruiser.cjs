// The layers of src/, from the top. Every import points down: a folder may import its own files
// and the layers below it, never a layer above, nor a sibling on its own level. This file is the
// source of truth for the order (README "Source tree"); `npm test` runs it (npm run lint:layers).
const LAYERS = [
  ['cli'],
  ['ui'],
  ['api'],
  ['runtime'],
  ['plan'],
  ['exec'],
  ['sources', 'sinks'],
  ['checkpoint', 'state', 'kafka'],
  ['formats'],
  ['data'],
  ['storage', 'util'],
  ['errors.ts'],
];

const path = (folder) => (folder.endsWith('.ts') ? `^src/${folder.replace('.', '\\.')}$` : `^src/${folder}/`);

const upward = LAYERS.flatMap((level, i) => level.map((folder) => ({ folder, above: [
  ...LAYERS.slice(0, i).flat(),
  ...level.filter((f) => f !== folder),
], i }))).filter(({ above }) => above.length > 0).map(({ folder, above, i }) => ({
  name: `${folder.replace('.ts', '')}-imports-down-only`,
  comment: `src/${folder} sits on level ${i + 1} of the layers; it may import only from the levels below it.`,
  severity: 'error',
  from: { path: path(folder) },
  to: {
    path: above.map(path),
  },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-cycles',
      comment: 'No cycle of run-time imports anywhere in src/. A cycle closed only by `import type` is allowed '
        + '(Session and DataFrame name each other, as SparkSession and Dataset do); it is gone at run time.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'index-is-the-public-api',
      comment: 'src/index.ts is the package\'s entry; nothing inside src/ imports it.',
      severity: 'error',
      from: { path: '^src/.+/' },
      to: { path: '^src/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    includeOnly: '^src/',
  },
};
