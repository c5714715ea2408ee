/** Every error a user can cause is one of these: the message says what, where, and what to do. */
export class SluiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A wrong or missing option on a reader or writer. */
export class OptionError extends SluiceError {}

/** The plan does not fit the data: unknown column, wrong type, unsupported mode. */
export class AnalysisError extends SluiceError {}

/** The checkpoint cannot be used: taken by another query, or written by a different one. */
export class CheckpointError extends SluiceError {}

/** The checkpoint's lease is held by another live run (checkpoint/query-lease.ts); a scale-out worker waits for it while it owns the task. */
export class LeaseHeldError extends CheckpointError {}

/** Input data that FAILFAST or failOnDataLoss refuses. */
export class DataError extends SluiceError {}

/** A source could not be reached or answered wrongly. */
export class SourceError extends SluiceError {}

/**
 * Kafka refused the connection's security: a wrong password, TLS against a plaintext port, an
 * untrusted certificate. Not retried: waiting does not fix a setting.
 */
export class KafkaSecurityError extends SourceError {}

/** A scale-out worker could not join, stay in or leave its Kafka group (src/kafka/group/group-member.ts): the message names the group and the broker. */
export class GroupError extends SourceError {}

/** A transformWithState processor used its handle wrongly, or threw: the query stops, its state left as of the last committed batch. */
export class StatefulProcessorError extends SluiceError {}

/** The sink could not write. */
export class SinkError extends SluiceError {}

/**
 * A file operation failed for good (after retries, for S3). `op`, `bucket` and `key` say which
 * call on which object, for code that wants them without parsing the message.
 */
export class StorageError extends SluiceError {
  constructor(
    message: string,
    readonly op: string,
    readonly bucket: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A SQL expression string (expr(), selectExpr(), filter('...')) that does not parse. `position`
 * is the 0-based offset in `text`; the message repeats the text with a caret under that spot.
 */
export class ParseError extends SluiceError {
  constructor(readonly reason: string, readonly text: string, readonly position: number) {
    super(`${reason} (at position ${position}):\n  ${text}\n  ${' '.repeat(position)}^`);
  }
}
