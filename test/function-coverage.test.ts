// docs/functions.md is generated from the registry (scripts/gen-function-docs.ts); this keeps it honest.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderFunctionDocs, docPath } from '../scripts/gen-function-docs.ts';

describe('docs/functions.md, the PySpark coverage table', () => {
  const fresh = renderFunctionDocs();

  it('is the generator\'s output for the registry as it is now (else run npx tsx scripts/gen-function-docs.ts)', () => {
    const committed = readFileSync(docPath, 'utf8');
    expect(committed === fresh, 'docs/functions.md is stale: run npx tsx scripts/gen-function-docs.ts and commit it').toBe(true);
  });

  it('tells a function sluice has from one it lacks, by import and by SQL name', () => {
    const row = (name: string) => fresh.split('\n').find((l) => l.startsWith(`| \`${name}\` | `));
    expect(row('upper')).toBe('| `upper` | yes | scalar |');
    expect(row('sum')).toBe('| `sum` | yes | aggregate |');
    expect(row('explode')).toBe('| `explode` | yes | generator |');
    expect(row('window')).toBe('| `window` | yes | — |');
    expect(row('ucase')).toBe('| `ucase` | — | scalar |');
    expect(row('xpath')).toBe('| `xpath` | — | — |');
  });

  it('lists the DataFrame verbs without internal helpers', () => {
    const verbs = fresh.split('\n').find((l) => l.startsWith('`DataFrame`: '))!;
    expect(verbs).toContain('`withWatermark`');
    expect(verbs).not.toContain('`withPlan`');
    expect(verbs).not.toMatch(/`with`/);
  });
});
