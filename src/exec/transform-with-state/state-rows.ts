import { struct, string, timestamp } from '../../data/types.ts';
import { encodeCells, KEY_SEP } from '../../state/key-encoding.ts';
import type { StateStore } from '../../state/state-store.ts';

/**
 * How transformWithState lays its state out in the operator's one versioned StateStore, so
 * state, timers and TTL are checkpointed, recovered and purged as every operator's are:
 *
 *   key   (stateName STRING, groupingKey STRING, userKey STRING)   value (value STRING, expiresAt TIMESTAMP)
 *
 * groupingKey is the grouping columns as a JSON object (state-codec.ts); value is JSON text;
 * expiresAt is when a TTL'd value stops existing (null: never).
 * - ValueState: one row, userKey ''.
 * - ListState: a header row (userKey '', value the element count) and one row per element,
 *   userKey its position ('0', '1', ...), so appending costs one row and each element has its TTL.
 * - MapState: one row per entry, userKey the map key as JSON.
 * - Timers: stateName '$timers', userKey the expiry in ms, value null. Names starting with '$'
 *   are kept for sluice, as Spark keeps them for its internal column families.
 */
export const STATE_KEY = struct({ stateName: string, groupingKey: string, userKey: string });
export const STATE_VALUE = struct({ value: string, expiresAt: timestamp });
export const TIMERS = '$timers';
const KEY_TYPES = STATE_KEY.fields.map((f) => f.type);
const ASCII = /^[\x00-\x7f]*$/;

/**
 * encodeCells([name, groupingKey, userKey]) (the store's key text), with a fast path: an ASCII
 * string is its own latin1-of-UTF-8 text, so the Buffer round trip encodeCells makes per string
 * is skipped for the JSON keys that are nearly always ASCII (it was most of a lookup's cost).
 */
function storeKey(name: string, groupingKey: string, userKey: string): string {
  return ASCII.test(name) && ASCII.test(groupingKey) && ASCII.test(userKey)
    ? name + KEY_SEP + groupingKey + KEY_SEP + userKey
    : encodeCells([name, groupingKey, userKey], KEY_TYPES);
}

export interface StateRow { readonly value: string | null; readonly expiresAt: number | null }

/** One row as a full scan sees it. */
export interface ScannedRow extends StateRow { readonly name: string; readonly groupingKey: string; readonly userKey: string }

/**
 * Reads and writes of that layout. Map entries and timers are listed per grouping key, which
 * the store's exact-key lookup cannot do, so the rows' keys are also indexed by (stateName,
 * groupingKey) here, rebuilt from the store whenever it reloads (a restart, a failed batch).
 */
export class StateRows {
  private readonly groups = new Map<string, Set<string>>();
  private generation = -1;

  constructor(readonly store: StateStore) {}

  get(name: string, groupingKey: string, userKey: string): StateRow | null {
    const slot = this.store.lookup(storeKey(name, groupingKey, userKey));
    return slot < 0 ? null : this.row(slot);
  }

  put(name: string, groupingKey: string, userKey: string, value: string | null, expiresAt: number | null): void {
    this.sync();
    const key = storeKey(name, groupingKey, userKey);
    let slot = this.store.lookup(key);
    if (slot < 0) {
      slot = this.store.insert(key, [name, groupingKey, userKey]);
      this.userKeySet(name, groupingKey, true)!.add(userKey);
    } else this.store.touch(slot);
    this.store.values[0]![slot] = value;
    this.store.values[1]![slot] = expiresAt;
  }

  remove(name: string, groupingKey: string, userKey: string): void {
    this.sync();
    const slot = this.store.lookup(storeKey(name, groupingKey, userKey));
    if (slot < 0) return;
    this.store.remove(slot);
    const set = this.userKeySet(name, groupingKey, false);
    set?.delete(userKey);
    if (set?.size === 0) this.groups.delete(name + KEY_SEP + groupingKey);
  }

  /** The userKeys of (stateName, groupingKey): a map's keys, a key's timers. */
  userKeys(name: string, groupingKey: string): string[] {
    this.sync();
    return [...(this.userKeySet(name, groupingKey, false) ?? [])];
  }

  /** Every row: the per-batch timer and TTL scan. A copy, so the caller may remove rows as it goes. */
  scan(): ScannedRow[] {
    const s = this.store, out: ScannedRow[] = [];
    for (const slot of s.slots()) {
      out.push({ name: s.keys[0]![slot] as string, groupingKey: s.keys[1]![slot] as string, userKey: s.keys[2]![slot] as string, ...this.row(slot) });
    }
    return out;
  }

  private row(slot: number): StateRow {
    return { value: this.store.values[0]![slot] as string | null, expiresAt: this.store.values[1]![slot] as number | null };
  }

  private userKeySet(name: string, groupingKey: string, create: boolean): Set<string> | undefined {
    const g = name + KEY_SEP + groupingKey;
    let set = this.groups.get(g);
    if (!set && create) this.groups.set(g, set = new Set());
    return set;
  }

  private sync(): void {
    if (this.generation === this.store.generation) return;
    this.generation = this.store.generation;
    this.groups.clear();
    for (const r of this.scan()) this.userKeySet(r.name, r.groupingKey, true)!.add(r.userKey);
  }
}
