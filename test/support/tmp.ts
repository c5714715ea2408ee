import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * A fresh, empty directory `<os tmpdir>/sluice-<name>-XXXXXX`. Left in place after the test
 * (so a failure can be looked at); the name says which test made it.
 */
export function tmpDir(name: string): string {
  return mkdtempSync(path.join(tmpdir(), `sluice-${name}-`));
}
