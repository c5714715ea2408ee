// Flink's nexmark views (nexmark/nexmark queries/ddl_views.sql) in sluice: each kind of event out of
// the one nexmark table, by event_type. The same over format('nexmark') and over Kafka JSON read
// with from_json(value, nexmarkSchema), so the queries never know which source they read.
import { col, type DataFrame } from '../../src/index.ts';

export const PERSON = 0, AUCTION = 1, BID = 2;

export const persons = (events: DataFrame): DataFrame => events.where(col('event_type').equalTo(PERSON)).select('person.*');
export const auctions = (events: DataFrame): DataFrame => events.where(col('event_type').equalTo(AUCTION)).select('auction.*');
export const bids = (events: DataFrame): DataFrame => events.where(col('event_type').equalTo(BID)).select('bid.*');
