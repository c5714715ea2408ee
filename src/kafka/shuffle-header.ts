/**
 * The header each repartition record carries (docs/design/scale-out.md, "Watermarks across
 * tasks"): the largest event time the writing task had seen, in epoch milliseconds as decimal
 * text (readable with kcat -f '%h'). Written by sinks/repartition, read by sources/repartition.
 */
export const MAX_EVENT_TIME_HEADER = 'sluice-max-event-time';
