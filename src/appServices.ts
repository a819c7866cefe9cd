// The services and authenticators the composition root (app.ts) wires into GraphQL and HTTP:
// the token verifier (opaque tokens included), identity, organizations, invitations, lifecycle,
// directory, operators, API keys, sessions, IdP events and caller scopes.
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import type { IssuerConfig } from './config/issuers.js';
import { createIntrospectionVerifier, withOpaqueTokens } from './auth/introspection.js';
import type { IssuerKeys } from './auth/issuerKeys.js';
import type { UserinfoClient } from './auth/userinfo.js';
import { createTokenVerifier } from './auth/verifier.js';
import { startApiKeys } from './apiKeys.js';
import type { Database } from './db/queryable.js';
import type { LifecycleFeed } from './db/lifecycleFeed.js';
import { recordSessionAcceptance } from './db/sessionAcceptances.js';
import type { UserStore } from './db/userStore.js';
import { createIdpEvents } from './idpEvents.js';
import { instrumentVerifier, type Metrics } from './metrics.js';
import type { PlatformIssuer } from './platformIssuer.js';
import type { PollTimers } from './services/idpEventPoller.js';
import { createAuthenticator, createTokenAuthenticator } from './services/authenticate.js';
import { createIdentityService } from './services/identity.js';
import { createInvitationService } from './services/invitations.js';
import { createLifecycleService } from './services/lifecycle.js';
import { createOperatorService } from './services/operators.js';
import { createOrganizationService } from './services/organizations.js';
import { createUserScopes } from './services/scopes.js';
import { createSessionPolicy } from './services/sessions.js';
import { createSsoEmailTrust } from './services/ssoEmailTrust.js';
import { createUserDirectory } from './services/userDirectory.js';
import { createSessionService } from './services/userSessions.js';

export interface AppServiceDeps {
  logger: Logger;
  metrics: Metrics;
  db: Database;
  users: UserStore;
  lifecycleFeed: LifecycleFeed;
  issuers: IssuerConfig[];
  keySources: IssuerKeys['keySources'];
  userinfo: UserinfoClient | null;
  platform: PlatformIssuer | null;
  /** The one outbound fetch (traced when tracing is on). */
  fetch: typeof fetch | undefined;
  now: (() => number) | undefined;
  eventTimers: PollTimers | undefined;
}

export type AppServices = Awaited<ReturnType<typeof createAppServices>>;

export async function createAppServices(config: Config, deps: AppServiceDeps) {
  const { logger, metrics, db, users, lifecycleFeed, issuers, now } = deps;
  const outbound = deps.fetch;
  const legacy = config.introspection;
  const opaque =
    legacy === null
      ? null
      : createIntrospectionVerifier({
          config: legacy,
          fetch: outbound,
          timeoutMs: config.jwksFetchTimeoutMs,
          firstAccepted: (digest) => recordSessionAcceptance(db, digest, config.maxTokenAgeSeconds),
          onCall: (outcome) => {
            if (outcome === 'refused') logger.error({ issuer: legacy.name, clientId: legacy.clientId }, 'introspection endpoint refused our client credentials');
            else if (outcome === 'error' || outcome === 'timeout') logger.warn({ issuer: legacy.name, outcome }, 'introspection call failed');
          },
        });
  const verifier = instrumentVerifier(
    withOpaqueTokens(createTokenVerifier({ issuers, keySources: deps.keySources, userinfo: deps.userinfo, platform: deps.platform?.verification ?? null }), opaque),
    issuers,
    metrics,
  );
  const sessions = createSessionPolicy({
    db,
    feed: lifecycleFeed,
    maxTokenAgeSeconds: config.maxTokenAgeSeconds,
    onError: (error) => logger.warn({ err: error }, 'session view not loaded: checking sessions in the database'),
  });
  // Not awaited: until the view is loaded every check reads the database.
  void sessions.start();
  const ssoEmailTrust = createSsoEmailTrust({ db, feed: lifecycleFeed, issuerNames: issuers.filter((i) => i.emailTrust === 'ssoDomain').map((i) => i.name) });
  const identity = createIdentityService({
    db,
    users,
    ssoEmailTrust,
    onProvisioned: (what) => metrics.observeProvisioned(what),
    adoptSubjectAsUserId: new Set(legacy?.adoptSubjectAsUserId === true ? [legacy.name] : []),
    personalOrganizations: config.personalOrganizations,
    isSuspended: (userId) => sessions.isSuspended(userId),
    maxEntryAgeMs: config.maxTokenAgeSeconds * 1000,
  });
  // Configured issuer name → its exact `iss` (SSO bindings and userByIdentity name issuers).
  const issuersByName = new Map([...issuers, ...(legacy === null ? [] : [legacy])].map((i) => [i.name, i.issuer]));
  const organizations = createOrganizationService({
    db,
    users,
    identity,
    issuerNames: new Set(issuersByName.keys()),
    onSsoChanged: () => lifecycleFeed.publish({ type: 'sso' }),
  });
  const invitations = createInvitationService({ db, users, ttlHours: config.invitationTtlHours, now });
  const lifecycle = createLifecycleService({ db, users, feed: lifecycleFeed, maxTokenAgeSeconds: config.maxTokenAgeSeconds });
  const directory = createUserDirectory({ db, users, identity });
  const operators = createOperatorService({ users, issuersByName });
  const apiKeys = await startApiKeys(config, { db, users, feed: lifecycleFeed, logger, now });
  // Sessions admitted are recorded (in memory, written in batches) and listed, and end one by one.
  const userSessions = createSessionService({ db, feed: lifecycleFeed, maxTokenAgeSeconds: config.maxTokenAgeSeconds, now });
  const services = { directory, organizations, invitations, lifecycle, operators, apiKeys: apiKeys.service, sessions: userSessions };
  const authenticate = createAuthenticator({ verifier, identity, sessions, users, apiKeys: apiKeys.authenticator, recorder: userSessions.recorder });
  // Token introspection checks the asked token as /graphql does (its session is not the caller's request: not recorded).
  const authenticateToken = createTokenAuthenticator({ verifier, identity, sessions, users, apiKeys: apiKeys.authenticator });
  const scopes = createUserScopes(db);
  const idpEvents = createIdpEvents(issuers, { db, users, feed: lifecycleFeed, logger, maxTokenAgeSeconds: config.maxTokenAgeSeconds, fetch: outbound, timers: deps.eventTimers });
  return { verifier, sessions, ssoEmailTrust, identity, lifecycle, apiKeys, userSessions, services, authenticate, authenticateToken, scopes, idpEvents };
}
