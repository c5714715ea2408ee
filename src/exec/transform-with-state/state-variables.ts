import { StatefulProcessorError } from '../../errors.ts';
import type { ListState, MapState, ValueState } from './stateful-processor.ts';
import { decodeState, encodeState } from './state-codec.ts';
import type { StateRow, StateRows } from './state-rows.ts';

/** What a state variable needs from the handle: the rows, the grouping key being handled, the batch's time. */
export interface KeyScope {
  rows(): StateRows;
  /** The grouping key being handled (JSON); throws outside handleInputRows/handleExpiredTimer. */
  key(stateName: string): string;
  readonly batchTimestampMs: number;
}

/**
 * Spark's TTL rule (TTLState): an update sets expiry to the batch's timestamp plus the TTL; a value
 * whose expiry is at or before the batch's timestamp is gone for reads at once, and its row is
 * removed at the end of the batch.
 */
export class Ttl {
  constructor(private readonly scope: KeyScope, readonly ttlMs: number | null) {}
  expiryOfUpdate(): number | null { return this.ttlMs === null ? null : this.scope.batchTimestampMs + this.ttlMs; }
  live(r: StateRow | null): r is StateRow { return r !== null && (r.expiresAt === null || r.expiresAt > this.scope.batchTimestampMs); }
}

/** Spark's ILLEGAL_STATE_STORE_VALUE.NULL_VALUE: a state value or map key is never null (clear() or removeKey() removes). */
function notNull(v: unknown, name: string): void {
  if (v === null || v === undefined) {
    throw new StatefulProcessorError(`Illegal value provided to the State Store: Cannot write null values to State Store for StateName ${name}. Use clear() or removeKey() to remove a value.`);
  }
}

export class ValueStateImpl<T> implements ValueState<T> {
  private readonly ttl: Ttl;
  constructor(private readonly name: string, private readonly scope: KeyScope, ttlMs: number | null) { this.ttl = new Ttl(scope, ttlMs); }
  private row(): StateRow | null {
    const r = this.scope.rows().get(this.name, this.scope.key(this.name), '');
    return this.ttl.live(r) ? r : null;
  }
  exists(): boolean { return this.row() !== null; }
  get(): T | undefined { const r = this.row(); return r ? decodeState<T>(r.value!) : undefined; }
  update(value: T): void {
    notNull(value, this.name);
    const text = encodeState(value, `ValueState '${this.name}'.update()`);
    this.scope.rows().put(this.name, this.scope.key(this.name), '', text, this.ttl.expiryOfUpdate());
  }
  clear(): void { this.scope.rows().remove(this.name, this.scope.key(this.name), ''); }
}

export class ListStateImpl<T> implements ListState<T> {
  private readonly ttl: Ttl;
  constructor(private readonly name: string, private readonly scope: KeyScope, ttlMs: number | null) { this.ttl = new Ttl(scope, ttlMs); }
  private count(gk: string): number { return Number(this.scope.rows().get(this.name, gk, '')?.value ?? 0); }
  exists(): boolean { return this.get().length > 0; }
  get(): T[] {
    const gk = this.scope.key(this.name), rows = this.scope.rows(), out: T[] = [];
    for (let i = 0, n = this.count(gk); i < n; i++) {
      const r = rows.get(this.name, gk, String(i));
      if (this.ttl.live(r)) out.push(decodeState<T>(r.value!));
    }
    return out;
  }
  put(values: readonly T[]): void { this.check(values); this.clear(); this.appendList(values); }
  appendValue(value: T): void { this.appendList([value]); }
  appendList(values: readonly T[]): void {
    this.check(values);
    const gk = this.scope.key(this.name), rows = this.scope.rows();
    const texts = values.map((v, i) => encodeState(v, `ListState '${this.name}': element ${i}`));
    let n = this.count(gk);
    const expiry = this.ttl.expiryOfUpdate();
    for (const t of texts) rows.put(this.name, gk, String(n++), t, expiry);
    rows.put(this.name, gk, '', String(n), null);
  }
  /** Spark's ILLEGAL_STATE_STORE_VALUE: no null element, no empty list (clear() empties one). */
  private check(values: readonly T[]): void {
    if (!Array.isArray(values) || !values.length) throw new StatefulProcessorError(`Illegal value provided to the State Store: Cannot write empty list values to State Store for StateName ${this.name}. Use clear() to empty a list.`);
    for (const v of values) notNull(v, this.name);
  }
  clear(): void {
    const gk = this.scope.key(this.name), rows = this.scope.rows();
    for (let i = 0, n = this.count(gk); i < n; i++) rows.remove(this.name, gk, String(i));
    rows.remove(this.name, gk, '');
  }
}

/**
 * After the TTL scan removed some elements of a list: the survivors move down to positions
 * 0..m-1, in order, so the header's count stays the list's length.
 */
export function compactList(rows: StateRows, name: string, gk: string): void {
  const n = Number(rows.get(name, gk, '')?.value ?? 0);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const r = rows.get(name, gk, String(i));
    if (!r) continue;
    if (i !== m) { rows.put(name, gk, String(m), r.value, r.expiresAt); rows.remove(name, gk, String(i)); }
    m++;
  }
  if (m) rows.put(name, gk, '', String(m), null); else rows.remove(name, gk, '');
}

export class MapStateImpl<K, V> implements MapState<K, V> {
  private readonly ttl: Ttl;
  constructor(private readonly name: string, private readonly scope: KeyScope, ttlMs: number | null) { this.ttl = new Ttl(scope, ttlMs); }
  private userKey(key: K): string { notNull(key, this.name); return encodeState(key, `MapState '${this.name}': key`); }
  exists(): boolean { return this.iterator().length > 0; }
  getValue(key: K): V | undefined {
    const r = this.scope.rows().get(this.name, this.scope.key(this.name), this.userKey(key));
    return this.ttl.live(r) ? decodeState<V>(r.value!) : undefined;
  }
  containsKey(key: K): boolean { return this.ttl.live(this.scope.rows().get(this.name, this.scope.key(this.name), this.userKey(key))); }
  updateValue(key: K, value: V): void {
    notNull(value, this.name);
    const text = encodeState(value, `MapState '${this.name}'.updateValue()`);
    this.scope.rows().put(this.name, this.scope.key(this.name), this.userKey(key), text, this.ttl.expiryOfUpdate());
  }
  iterator(): [K, V][] {
    const gk = this.scope.key(this.name), rows = this.scope.rows(), out: [K, V][] = [];
    for (const uk of rows.userKeys(this.name, gk)) {
      const r = rows.get(this.name, gk, uk);
      if (this.ttl.live(r)) out.push([decodeState<K>(uk), decodeState<V>(r.value!)]);
    }
    return out;
  }
  keys(): K[] { return this.iterator().map(([k]) => k); }
  values(): V[] { return this.iterator().map(([, v]) => v); }
  removeKey(key: K): void { this.scope.rows().remove(this.name, this.scope.key(this.name), this.userKey(key)); }
  clear(): void {
    const gk = this.scope.key(this.name), rows = this.scope.rows();
    for (const uk of rows.userKeys(this.name, gk)) rows.remove(this.name, gk, uk);
  }
}
