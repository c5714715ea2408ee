/** Spark's StreamingQueryStatus: what a query is doing at this moment (query.status). */
export interface QueryStatus {
  /** Spark's wording: 'Initializing sources', 'Getting offsets from …', 'Processing new data', 'Waiting for data to arrive', 'Waiting for next trigger', 'Stopped'. */
  readonly message: string;
  readonly isDataAvailable: boolean;
  readonly isTriggerActive: boolean;
}

export const initializingStatus: QueryStatus = { message: 'Initializing sources', isDataAvailable: false, isTriggerActive: false };
export const stoppedStatus: QueryStatus = { message: 'Stopped', isDataAvailable: false, isTriggerActive: false };
