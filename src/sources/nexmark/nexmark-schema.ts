import { int, long, string, struct, timestamp } from '../../data/types.ts';

// Flink's nexmark table (nexmark/nexmark queries/ddl_gen.sql): one row per event, the struct of its
// kind set and the other two null, and the event's time at the top. One table rather than three
// streams, because the offsets are event numbers across all three kinds (one replayable position),
// and because the Kafka path carries exactly this shape as JSON: the same queries then run over
// `format('nexmark')` and over `from_json(value, nexmarkSchema)` without a change.

export const personType = struct({
  id: long, name: string, emailAddress: string, creditCard: string, city: string, state: string, dateTime: timestamp, extra: string,
});

export const auctionType = struct({
  id: long, itemName: string, description: string, initialBid: long, reserve: long, dateTime: timestamp, expires: timestamp,
  seller: long, category: long, extra: string,
});

export const bidType = struct({ auction: long, bidder: long, price: long, channel: string, url: string, dateTime: timestamp, extra: string });

/** event_type: 0 person, 1 auction, 2 bid (Flink's Event.Type values). */
export const nexmarkSchema = struct({ event_type: int, person: personType, auction: auctionType, bid: bidType, dateTime: timestamp });

export const PERSON = 0, AUCTION = 1, BID = 2;
