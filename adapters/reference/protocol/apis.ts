/**
 * Every request type the protocol has, in one table: the server dispatches by it and answers
 * ApiVersions from it; the client negotiates against it. Adding a request type or a version is one
 * file under requests/ and one line here.
 */
import type { ApiSpec } from "./api.js";
import { apiVersions } from "./requests/00-api-versions.js";
import { metadata } from "./requests/01-metadata.js";
import { createTopic } from "./requests/02-create-topic.js";
import { deleteTopic } from "./requests/03-delete-topic.js";
import { produce } from "./requests/04-produce.js";
import { fetch } from "./requests/05-fetch.js";
import { listOffsets } from "./requests/06-list-offsets.js";
import { initProducerId } from "./requests/07-init-producer-id.js";
import { endTxn } from "./requests/08-end-txn.js";
import { txnOffsetCommit } from "./requests/09-txn-offset-commit.js";
import { joinGroup } from "./requests/10-join-group.js";
import { heartbeat } from "./requests/11-heartbeat.js";
import { leaveGroup } from "./requests/12-leave-group.js";
import { offsetCommit } from "./requests/13-offset-commit.js";
import { offsetFetch } from "./requests/14-offset-fetch.js";
import { subscribe } from "./requests/15-subscribe.js";
import { credit } from "./requests/16-credit.js";
import { reassign } from "./requests/17-reassign.js";
import { unsubscribe } from "./requests/18-unsubscribe.js";
import { subscriptionStats } from "./requests/19-subscription-stats.js";
import { queueSubscribe } from "./requests/20-queue-subscribe.js";
import { queueSettle } from "./requests/21-queue-settle.js";
import { queueGrant } from "./requests/22-queue-grant.js";

/** The protocol's version as a whole, for humans; clients negotiate per request type. */
export const PROTOCOL_VERSION = 1;

export const APIS = {
  apiVersions,
  metadata,
  createTopic,
  deleteTopic,
  produce,
  fetch,
  listOffsets,
  initProducerId,
  endTxn,
  txnOffsetCommit,
  joinGroup,
  heartbeat,
  leaveGroup,
  offsetCommit,
  offsetFetch,
  subscribe,
  credit,
  reassign,
  unsubscribe,
  subscriptionStats,
  queueSubscribe,
  queueSettle,
  queueGrant,
} as const;

export const API_LIST: readonly ApiSpec<unknown, unknown>[] = Object.values(APIS) as unknown as ApiSpec<
  unknown,
  unknown
>[];

/** What ApiVersions answers. */
export function supportedVersions(): { key: number; minVersion: number; maxVersion: number }[] {
  return API_LIST.map((a) => ({ key: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion }));
}
