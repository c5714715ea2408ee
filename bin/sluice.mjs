#!/usr/bin/env node
// The `sluice` command. The package ships TypeScript sources, so this registers tsx's loader
// and runs src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
