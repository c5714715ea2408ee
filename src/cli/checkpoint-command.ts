/** `sluice checkpoint show|state <checkpoint>`: flags and output; the reading is in checkpoint/. */
import { parseArgs } from 'node:util';
import { isNumeric } from '../data/types.ts';
import { makeBatch } from '../data/batch.ts';
import { encodeParquet } from '../formats/parquet/encode-parquet.ts';
import { storageFor } from '../storage/storage-for.ts';
import { CliError } from './cli-error.ts';
import { S3_FLAGS, S3_FLAGS_USAGE, s3Conf } from './s3-flags.ts';
import { formatTable } from './format-table.ts';
import { checkpointReport } from './checkpoint/checkpoint-report.ts';
import { formatReport } from './checkpoint/show-text.ts';
import { cellJson, cellText, readStateTable } from './checkpoint/state-table.ts';

const USAGE = `Usage:
  sluice checkpoint show <checkpoint> [--json]
  sluice checkpoint state <checkpoint> [--operator N] [--batch V] [--limit N] [--json] [--out FILE.parquet]

<checkpoint> is a query's checkpointLocation: a local directory or s3://bucket/prefix.
Nothing in it is changed.

show    the query id, each source's starting offsets, every batch in the offset log
        (end offsets per topic/partition, records, watermark, when it was planned, whether
        it committed and the watermark it handed on), and each stateful operator's shape
        and state files (delta/snapshot, bytes, rows).
state   the state rows of one version, like Spark's read.format("statestore"): key
        columns, then value columns (one per aggregate). A window key prints as
        {start, end}.

Options:
  --json            machine-readable output instead of text
  --operator N      state: the stateful operator (default 0, the query's last one, as Spark numbers them; see show)
  --batch V         state: the version, i.e. the batch that committed it (default: the
                    last committed batch, which a restart would load)
  --limit N         state: rows printed in the table (default 50; 0 for all). --json
                    prints every row unless --limit is given.
  --out FILE        state: write every row to this Parquet file (local or s3://) instead
                    of printing them; DuckDB reads it: SELECT * FROM 'FILE'
${S3_FLAGS_USAGE}
`;

function wholeNumber(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new CliError(`--${flag} takes a whole number >= 0, got '${v}'.`);
  return Number(v);
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean' }, operator: { type: 'string' }, batch: { type: 'string' }, limit: { type: 'string' }, out: { type: 'string' },
        ...S3_FLAGS, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const { values: v, positionals: rest } = parsed;
  if (v.help) { process.stdout.write(USAGE); return 0; }
  const [sub, dir, ...extra] = rest;
  if (sub !== 'show' && sub !== 'state') {
    throw new CliError(`${sub === undefined ? 'sluice checkpoint needs a subcommand' : `Unknown subcommand '${sub}'`}: use 'show' or 'state'.\n\n${USAGE}`);
  }
  if (dir === undefined || extra.length) {
    throw new CliError(`sluice checkpoint ${sub} takes one checkpoint directory (local or s3://), got ${rest.length - 1} arguments.\n\n${USAGE}`);
  }
  if (sub === 'show') {
    for (const f of ['operator', 'batch', 'limit', 'out'] as const) if (v[f] !== undefined) throw new CliError(`--${f} applies to 'sluice checkpoint state', not 'show'.`);
  }
  const conf = s3Conf(v);
  const { storage, path } = storageFor(dir, 'checkpoint', conf);

  if (sub === 'show') {
    const report = await checkpointReport(storage, path);
    process.stdout.write(v.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
    return 0;
  }

  const t = await readStateTable(storage, path, wholeNumber('operator', v.operator) ?? 0, wholeNumber('batch', v.batch));
  const types = t.schema.fields.map((f) => f.type);
  if (v.out !== undefined) {
    if (!/\.parquet$/i.test(v.out)) throw new CliError(`--out '${v.out}': give a file name ending in .parquet (readers such as DuckDB glob on it).`);
    const dest = storageFor(v.out, '--out', conf);
    await dest.storage.write(dest.path, encodeParquet(t.schema, [makeBatch(t.schema, t.columns, t.numRows)], { codec: 'snappy' }));
    process.stdout.write(`Wrote ${t.numRows} state rows of operator ${t.operatorId}, version ${t.version} to ${dest.path}\n`);
    return 0;
  }
  const limitFlag = wholeNumber('limit', v.limit);
  const limit = limitFlag === 0 ? t.numRows : limitFlag ?? (v.json ? t.numRows : 50);
  const shown = Math.min(limit, t.numRows);
  if (v.json) {
    const rows = Array.from({ length: shown }, (_, r) => Object.fromEntries(t.schema.fields.map((f, c) => [f.name, cellJson(t.cells[c]![r]!, types[c]!)])));
    process.stdout.write(JSON.stringify({
      checkpoint: t.checkpoint, operatorId: t.operatorId, version: t.version, operator: t.shape.raw,
      columns: t.schema.fields.map((f, c) => ({ name: f.name, type: f.type.kind === 'struct' ? 'window' : f.type.kind, role: c < t.numKeyColumns ? 'key' : 'value' })),
      numRows: t.numRows, rows,
    }, null, 2) + '\n');
    return 0;
  }
  const keys = t.schema.fields.slice(0, t.numKeyColumns).map((f) => f.name), values = t.schema.fields.slice(t.numKeyColumns).map((f) => f.name);
  process.stdout.write(`State of operator ${t.operatorId} (${t.shape.operator}), version ${t.version}: ${t.numRows} keys. Key: ${keys.join(', ')}; value: ${values.join(', ') || '(none)'}.\n`);
  const rows = Array.from({ length: shown }, (_, r) => t.schema.fields.map((_, c) => cellText(t.cells[c]![r]!, types[c]!)));
  const table = formatTable(t.schema.fields.map((f) => f.name), types.map(isNumeric), rows);
  process.stdout.write(shown < t.numRows ? table.replace(/\(\d+ rows?\)\n$/, `(${shown} of ${t.numRows} rows; --limit N for more, 0 for all)\n`) : table);
  return 0;
}
