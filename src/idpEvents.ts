// IdP events assembled (idp-events.md): for each `workos` entry, its webhook route (when it has a
// webhook secret) and its Events API poller (when it has an API key and a poll interval). The
// composition root mounts the routes outside SUBGRAPH_SECRET, starts the pollers and closes them.
import type { Logger } from 'pino';
import type { IssuerConfig } from './config/issuers.js';
import type { LifecycleFeed } from './db/lifecycleFeed.js';
import type { Database } from './db/queryable.js';
import type { UserStore } from './db/userStore.js';
import type { RouteHandler } from './http/server.js';
import { createWorkosWebhookHandler } from './http/workosWebhook.js';
import { createIdpEventPoller, systemTimers, type IdpEventPoller, type PollTimers } from './services/idpEventPoller.js';
import { createIdpEventService } from './services/idpEvents.js';

export interface IdpEvents {
  /** `POST /webhooks/workos/{name}` for each entry with a webhook secret. */
  routes: Record<string, RouteHandler>;
  /** By entry name: the entries that poll. */
  pollers: ReadonlyMap<string, IdpEventPoller>;
  start(): void;
  close(): Promise<void>;
}

export function createIdpEvents(
  issuers: readonly IssuerConfig[],
  deps: { db: Database; users: UserStore; feed: LifecycleFeed; logger: Logger; maxTokenAgeSeconds: number; fetch?: typeof fetch; timers?: PollTimers },
): IdpEvents {
  const { logger } = deps;
  const timers = deps.timers ?? systemTimers;
  const events = createIdpEventService({
    users: deps.users,
    feed: deps.feed,
    maxTokenAgeSeconds: deps.maxTokenAgeSeconds,
    // The event's id, type and outcome: never its data (emails, names).
    onApplied: (source, event, outcome) => logger.info({ issuer: source.name, eventId: event.id, type: event.type, outcome }, 'workos event'),
  });
  const routes: Record<string, RouteHandler> = {};
  const pollers = new Map<string, IdpEventPoller>();
  for (const entry of issuers) {
    if (entry.kind !== 'workos') continue;
    const source = { issuer: entry.issuer, name: entry.name };
    if (entry.webhookSecret) {
      routes[`POST /webhooks/workos/${entry.name}`] = createWorkosWebhookHandler({ source, secret: entry.webhookSecret, events, logger, now: timers.now });
    }
    if (entry.userinfoApiKey !== null && (entry.eventsPollSeconds ?? 0) > 0) {
      const poll = { ...source, apiBaseUrl: entry.apiBaseUrl, apiKey: entry.userinfoApiKey, intervalSeconds: entry.eventsPollSeconds! };
      pollers.set(entry.name, createIdpEventPoller({ db: deps.db, events, source: poll, logger, fetch: deps.fetch, timers }));
    }
  }
  return {
    routes,
    pollers,
    start() {
      for (const poller of pollers.values()) poller.start();
    },
    async close() {
      await Promise.all([...pollers.values()].map((poller) => poller.close()));
    },
  };
}
