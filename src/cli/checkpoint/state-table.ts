import type * as A from 'apache-arrow';
import { type ArrayType, type DataType, type StructField, struct, type Struct } from '../../data/types.ts';
import { type Cell, cellWriter, formatDate, formatTimestamp } from '../../data/cells.ts';
import { formatDecimal } from '../../data/decimal.ts';
import { windowColumn, windowType } from '../../exec/aggregate/window.ts';
import type { Storage } from '../../storage/storage-for.ts';
import { Checkpoint } from '../../checkpoint/checkpoint.ts';
import { readableVersions, readStateAt, rangeText } from '../../state/state-reader.ts';
import { CliError } from '../cli-error.ts';
import { latestCommitted, readQueryId } from './checkpoint-report.ts';
import { readOperatorShape, type OperatorShape } from './operator-shape.ts';

/**
 * The rows of one state version as a flat table, like Spark's `read.format("statestore")`
 * with its `key` and `value` structs flattened: the key columns in groupBy order, then the
 * value columns. A window key (stored as its start) becomes the `{start, end}` struct the
 * query outputs; an aggregate's buffer takes the aggregate's name (`total_spend`), or
 * `<name>_<field>` when it has several fields (avg: `<name>_sum`, `<name>_n`).
 */
export interface StateTable {
  readonly checkpoint: string;
  readonly operatorId: number;
  readonly version: number;
  readonly shape: OperatorShape;
  readonly schema: Struct;
  /** How many leading columns of `schema` are the key. */
  readonly numKeyColumns: number;
  /** Arrow columns of `schema`, rows sorted by key. */
  readonly columns: readonly A.Data[];
  readonly numRows: number;
  /** Cells by column then row; a window cell is {start, end} in ms. */
  readonly cells: readonly (readonly (Cell | WindowCell)[])[];
}

export interface WindowCell { readonly start: number; readonly end: number }

export async function readStateTable(storage: Storage, root: string, operatorId: number, batch: number | undefined): Promise<StateTable> {
  const checkpoint = new Checkpoint(storage, root);
  await readQueryId(checkpoint);
  const ops = await checkpoint.stateOperatorIds();
  if (!ops.includes(operatorId)) {
    throw new CliError(`${root} has no state for operator ${operatorId} (no state/${operatorId}/). `
      + (ops.length ? `Operators with state: ${ops.join(', ')}; pick one with --operator N.` : 'This query has no stateful operator (aggregation or dropDuplicates), so there is no state to show.'));
  }
  const shape = await readOperatorShape(checkpoint, operatorId);
  if (!shape) throw new CliError(`${checkpoint.operatorMetadataPath(operatorId)} is missing, so the state's key columns are unknown; the checkpoint is damaged.`);
  const dir = checkpoint.stateDir(operatorId);
  const readable = readableVersions(await storage.list(dir));
  let version: number;
  if (batch === undefined) {
    const latest = await latestCommitted(checkpoint);
    if (latest === null) throw new CliError(`${root} has no committed batch yet (commits/ is empty), so there is no state version to show.`);
    version = latest;
  } else version = batch;
  if (!readable.includes(version)) {
    throw new CliError(`State version ${version} of operator ${operatorId} cannot be read from ${dir}: `
      + `the versions its files can rebuild are ${rangeText(readable)}. Pick one of those with --batch V`
      + (readable.length ? ` (older ones were purged after minBatchesToRetain).` : '.'));
  }
  const rows = await readStateAt(storage, dir, version, shape.keys.length);

  // Key columns in groupBy order (the store keeps a window key last).
  const keyOrder = shape.keys.map((k) => rows.keySchema.fields.findIndex((f) => f.name === k.name));
  const keyIdx = keyOrder.every((i) => i >= 0) && new Set(keyOrder).size === keyOrder.length ? keyOrder : rows.keySchema.fields.map((_, i) => i);
  const fields: StructField[] = [];
  const cells: (Cell | WindowCell)[][] = [];
  for (const i of keyIdx) {
    const f = rows.keySchema.fields[i]!;
    const k = shape.keys.find((s) => s.name === f.name);
    if (k?.kind === 'window') {
      fields.push({ name: f.name, type: windowType, nullable: false });
      cells.push(rows.keys[i]!.map((s) => ({ start: s as number, end: (s as number) + k.sizeMs })));
    } else {
      fields.push(f);
      cells.push([...rows.keys[i]!]);
    }
  }
  rows.valueSchema.fields.forEach((f, i) => {
    fields.push({ ...f, name: valueName(f.name, rows.valueSchema.fields.map((g) => g.name), shape) });
    cells.push([...rows.values[i]!]);
  });

  const order = Array.from({ length: rows.numRows }, (_, r) => r);
  order.sort((a, b) => { for (let c = 0; c < keyIdx.length; c++) { const d = compare(cells[c]![a]!, cells[c]![b]!); if (d) return d; } return 0; });
  const sorted = cells.map((col) => order.map((r) => col[r]!));
  const schema = struct(fields);
  const columns = schema.fields.map((f, c) => column(f.type, sorted[c]!));
  return { checkpoint: root, operatorId, version, shape, schema, numKeyColumns: keyIdx.length, columns, numRows: rows.numRows, cells: sorted };
}

/** `<k>_<field>` (aggregate k's buffer field) to the aggregate's own name. */
function valueName(stored: string, all: readonly string[], shape: OperatorShape): string {
  const m = /^(\d+)_(.+)$/.exec(stored);
  const agg = m ? shape.aggregates[Number(m[1])] : undefined;
  if (!m || !agg) return stored;
  const fieldsOfAgg = all.filter((n) => n.startsWith(`${m[1]}_`)).length;
  return fieldsOfAgg === 1 ? agg.name : `${agg.name}_${m[2]}`;
}

function compare(a: Cell | WindowCell, b: Cell | WindowCell): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (typeof a === 'object' && 'start' in a && typeof b === 'object' && 'start' in b) return a.start - b.start;
  if (typeof a === 'string' || typeof b === 'string') { const x = String(a), y = String(b); return x < y ? -1 : x > y ? 1 : 0; }
  if (a instanceof Uint8Array || b instanceof Uint8Array) return Buffer.compare(Buffer.from(a as Uint8Array), Buffer.from(b as Uint8Array));
  return a < b ? -1 : a > b ? 1 : 0;
}

function column(type: DataType, cells: readonly (Cell | WindowCell)[]): A.Data {
  if (type === windowType) return windowColumn(cells.length, (i) => (cells[i] as WindowCell).start, (i) => (cells[i] as WindowCell).end);
  const w = cellWriter(type, cells.length);
  for (const c of cells) w.push(c as Cell);
  return w.finish();
}

/** A cell as the table prints it: timestamps as Spark prints them, a window as {start, end}. */
export function cellText(c: Cell | WindowCell, type: DataType): string {
  if (c === null) return 'null';
  if (Array.isArray(c)) return `[${c.map((x: Cell) => cellText(x, (type as ArrayType).elementType)).join(', ')}]`;
  if (typeof c === 'object' && 'start' in c) return `{${formatTimestamp(c.start)}, ${formatTimestamp(c.end)}}`;
  if (c instanceof Uint8Array) return '0x' + Buffer.from(c.subarray(0, 16)).toString('hex') + (c.length > 16 ? `… (${c.length} bytes)` : '');
  if (type.kind === 'timestamp') return formatTimestamp(c as number);
  if (type.kind === 'date') return formatDate(c as number);
  if (type.kind === 'decimal') return formatDecimal(c as bigint, type.scale);
  return String(c);
}

/** A cell for --json: timestamps as ISO-8601, longs as numbers while exact, binary as base64. */
export function cellJson(c: Cell | WindowCell, type: DataType): unknown {
  if (c === null) return null;
  if (Array.isArray(c)) return c.map((x: Cell) => cellJson(x, (type as ArrayType).elementType));
  if (typeof c === 'object' && 'start' in c) return { start: new Date(c.start).toISOString(), end: new Date(c.end).toISOString() };
  if (c instanceof Uint8Array) return Buffer.from(c).toString('base64');
  if (type.kind === 'timestamp') return new Date(c as number).toISOString();
  if (type.kind === 'date') return formatDate(c as number);
  // Exact text, as Spark's to_json writes a decimal's digits; a JSON number would round through a double.
  if (type.kind === 'decimal') return formatDecimal(c as bigint, type.scale);
  if (typeof c === 'bigint') return Number.isSafeInteger(Number(c)) ? Number(c) : c.toString();
  return c;
}
