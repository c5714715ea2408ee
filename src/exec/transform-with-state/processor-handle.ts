import { StatefulProcessorError } from '../../errors.ts';
import { SPARK_TIME_MODE, type ListState, type MapState, type StatefulProcessorHandle, type StateOptions, type TimeMode, type ValueState } from './stateful-processor.ts';
import { TIMERS, type StateRows } from './state-rows.ts';
import { ListStateImpl, MapStateImpl, ValueStateImpl, type KeyScope } from './state-variables.ts';

/** Spark's StatefulProcessorHandleState, in the order a batch goes through them. */
const STATES = ['CREATED', 'INITIALIZED', 'DATA_PROCESSED', 'TIMER_PROCESSED', 'CLOSED'] as const;
export type HandleState = typeof STATES[number];

export type StateKind = 'value' | 'list' | 'map';
export interface DeclaredState { readonly name: string; readonly kind: StateKind; readonly ttlMs: number | null }

/**
 * The handle a processor gets in init(), one per batch as in Spark. With `rows` null it only
 * records the state variables init() declares: the operator runs init() once when the query is
 * planned, to check and record them before any batch (Spark's DriverStatefulProcessorHandleImpl).
 */
export class ProcessorHandle implements StatefulProcessorHandle, KeyScope {
  state: HandleState = 'CREATED';
  /** The grouping key (JSON) whose rows or timer are being handled. */
  currentKey: string | null = null;
  readonly declared = new Map<string, DeclaredState>();
  readonly deleted = new Set<string>();

  constructor(private readonly stateRows: StateRows | null, readonly timeMode: TimeMode, readonly batchTimestampMs: number,
    private readonly hasWatermark = false) {}

  rows(): StateRows {
    if (!this.stateRows) throw new StatefulProcessorError(`State can only be read or written while a batch runs (in handleInputRows or handleExpiredTimer).`);
    return this.stateRows;
  }

  key(stateName: string): string {
    // Spark's StateStoreErrors.implicitKeyNotFound.
    if (this.currentKey === null) throw new StatefulProcessorError(`Implicit key not found in state store for stateName=${stateName}: state is per grouping key, so use it in handleInputRows or handleExpiredTimer, not in init() or close().`);
    return this.currentKey;
  }

  getValueState<T>(name: string, options?: StateOptions): ValueState<T> {
    return new ValueStateImpl<T>(name, this, this.declare('getValueState', name, 'value', options));
  }
  getListState<T>(name: string, options?: StateOptions): ListState<T> {
    return new ListStateImpl<T>(name, this, this.declare('getListState', name, 'list', options));
  }
  getMapState<K, V>(name: string, options?: StateOptions): MapState<K, V> {
    return new MapStateImpl<K, V>(name, this, this.declare('getMapState', name, 'map', options));
  }

  deleteIfExists(name: string): void {
    this.verifyState('deleteIfExists', ['CREATED']);
    this.checkName(name);
    this.deleted.add(name);
  }

  registerTimer(expiryTimestampMs: number): void {
    this.verifyTimer('registerTimer', expiryTimestampMs);
    // Spark lets this pass and the timer never fires (its watermark stays 0); a timer that silently never fires loses the rows it would emit.
    if (this.timeMode === 'eventTime' && !this.hasWatermark) {
      throw new StatefulProcessorError(`Watermark must be specified in the query using '[Dataset/DataFrame].withWatermark()' for using event-time timers in transformWithState: `
        + `without one, the timer at ${expiryTimestampMs} would never fire. Add withWatermark('<event time column>', '<delay>') before groupBy, or use timeMode 'processingTime'.`);
    }
    this.rows().put(TIMERS, this.key(TIMERS), String(expiryTimestampMs), null, null);
  }
  deleteTimer(expiryTimestampMs: number): void {
    this.verifyTimer('deleteTimer', expiryTimestampMs);
    this.rows().remove(TIMERS, this.key(TIMERS), String(expiryTimestampMs));
  }
  listTimers(): number[] {
    this.verifyTimer('listTimers', 0);
    return this.rows().userKeys(TIMERS, this.key(TIMERS)).map(Number).sort((a, b) => a - b);
  }

  private declare(op: string, name: string, kind: StateKind, options: StateOptions | undefined): number | null {
    this.verifyState(op, ['CREATED']);
    this.checkName(name);
    // Spark's STATEFUL_PROCESSOR_DUPLICATE_STATE_VARIABLE_DEFINED.
    if (this.declared.has(name)) throw new StatefulProcessorError(`State variable with name ${name} has already been defined in the StatefulProcessor.`);
    const ttlMs = options?.ttlMs ?? null;
    if (ttlMs !== null) {
      // Spark's StatefulProcessorHandleImpl.validateTTLConfig: TTL counts processing time only.
      if (this.timeMode !== 'processingTime') {
        throw new StatefulProcessorError(`Cannot use TTL for state=${name} in timeMode=${SPARK_TIME_MODE[this.timeMode]}, use TimeMode.ProcessingTime() instead (timeMode: 'processingTime').`);
      }
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new StatefulProcessorError(`TTL duration must be greater than zero for State store operation=update on state=${name} (ttlMs: ${ttlMs}).`);
    }
    this.declared.set(name, { name, kind, ttlMs });
    return ttlMs;
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || name === '' || name.startsWith('$') || /[\u0000-\u001f]/.test(name)) {
      throw new StatefulProcessorError(`State variable name ${JSON.stringify(name)} cannot be used: names must be non-empty, without control characters, and not start with '$' (kept for sluice's own state, such as timers).`);
    }
  }

  /** Spark's STATEFUL_PROCESSOR_CANNOT_PERFORM_OPERATION_WITH_INVALID_HANDLE_STATE. */
  private verifyState(op: string, allowed: readonly HandleState[]): void {
    if (!allowed.includes(this.state)) {
      throw new StatefulProcessorError(`Failed to perform stateful processor operation=${op} with invalid handle state=${this.state}. `
        + `State variables are made in init(); timers are used in handleInputRows and handleExpiredTimer.`);
    }
  }

  private verifyTimer(op: string, ms: number): void {
    // Spark's STATEFUL_PROCESSOR_CANNOT_PERFORM_OPERATION_WITH_INVALID_TIME_MODE.
    if (this.timeMode === 'none') {
      throw new StatefulProcessorError(`Failed to perform stateful processor operation=${op} with invalid timeMode=${SPARK_TIME_MODE.none}: pass timeMode 'processingTime' or 'eventTime' to transformWithState to use timers.`);
    }
    this.verifyState(op, ['INITIALIZED', 'DATA_PROCESSED', 'TIMER_PROCESSED']);
    if (!Number.isSafeInteger(ms)) throw new StatefulProcessorError(`${op}(${ms}): a timer's time is a whole number of ms since the epoch.`);
  }
}
