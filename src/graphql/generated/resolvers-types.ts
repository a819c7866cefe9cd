import type { GraphQLResolveInfo } from 'graphql';
import type { User as UserModel, Membership as MembershipModel, Organization as OrganizationModel, ExternalIdentity as ExternalIdentityModel, OrganizationSso as OrganizationSsoModel, AuditEvent as AuditEventModel, Invitation as InvitationModel, ApiKey as ApiKeyModel, Session as SessionModel } from '../../domain/types.js';
import type { GraphQLContext } from '../context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  _FieldSet: { input: unknown; output: unknown; }
};

export type AddMemberInput = {
  email?: InputMaybe<Scalars['String']['input']>;
  organizationId: Scalars['ID']['input'];
  role: MembershipRole;
  userId?: InputMaybe<Scalars['ID']['input']>;
};

/** A long-lived credential for scripts and agents (docs/api-keys.md). */
export type ApiKey = {
  __typename?: 'ApiKey';
  /** ISO 8601. */
  createdAt: Scalars['String']['output'];
  createdBy?: Maybe<User>;
  expiresAt?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  /** ISO 8601, within 60 s. */
  lastUsedAt?: Maybe<Scalars['String']['output']>;
  name: Scalars['String']['output'];
  /** Null for personal keys. */
  organization?: Maybe<Organization>;
  /** The key's public part (idk_ and its public id), to recognise it in a list. */
  prefix: Scalars['String']['output'];
  revokedAt?: Maybe<Scalars['String']['output']>;
  scopes: Array<Scalars['String']['output']>;
};

export type AuditEvent = {
  __typename?: 'AuditEvent';
  action: Scalars['String']['output'];
  actorId?: Maybe<Scalars['String']['output']>;
  /** user, service or system. */
  actorType: Scalars['String']['output'];
  /** JSON object with action-specific details. */
  details: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  /** The impersonating actor, when the change was made under impersonation. */
  impersonator?: Maybe<Scalars['String']['output']>;
  /** ISO 8601 timestamp. */
  occurredAt: Scalars['String']['output'];
  targetId: Scalars['ID']['output'];
  targetType: Scalars['String']['output'];
};

export type AuditEventConnection = {
  __typename?: 'AuditEventConnection';
  edges: Array<AuditEventEdge>;
  pageInfo: PageInfo;
};

export type AuditEventEdge = {
  __typename?: 'AuditEventEdge';
  cursor: Scalars['String']['output'];
  node: AuditEvent;
};

export type AuthDiscovery = {
  __typename?: 'AuthDiscovery';
  connection?: Maybe<Scalars['String']['output']>;
  issuer?: Maybe<Scalars['String']['output']>;
  method: AuthMethod;
  organizationId?: Maybe<Scalars['ID']['output']>;
};

export type AuthMethod =
  | 'PASSWORDLESS'
  | 'SSO';

export type CreateApiKeyInput = {
  /** ISO 8601, in the future; absent: the key does not expire. */
  expiresAt?: InputMaybe<Scalars['String']['input']>;
  /** 1-100 characters. */
  name: Scalars['String']['input'];
  /** Absent: a personal key of the viewer; present: a key of that organization. */
  organizationId?: InputMaybe<Scalars['ID']['input']>;
  /** user, org:<id>:read, org:<id>:write; operators also users:admin, organizations:admin. */
  scopes: Array<Scalars['String']['input']>;
};

export type CreateOrganizationInput = {
  name: Scalars['String']['input'];
};

export type CreatedApiKey = {
  __typename?: 'CreatedApiKey';
  apiKey: ApiKey;
  /** The key (idk_...): shown here, once, never again. */
  secret: Scalars['String']['output'];
};

export type EnsureUserInput = {
  email: Scalars['String']['input'];
  name?: InputMaybe<Scalars['String']['input']>;
};

export type EnsureUserPayload = {
  __typename?: 'EnsureUserPayload';
  created: Scalars['Boolean']['output'];
  user: User;
};

export type ExternalIdentity = {
  __typename?: 'ExternalIdentity';
  issuer: Scalars['String']['output'];
  /** The configured issuer's name. */
  provider: Scalars['String']['output'];
  subject: Scalars['String']['output'];
};

/** An invitation to join an organization: it names an email address, never a user. */
export type Invitation = {
  __typename?: 'Invitation';
  /** As the inviter typed it (trimmed, lower-cased). */
  email: Scalars['String']['output'];
  /** ISO 8601. */
  expiresAt: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  organization: Organization;
  role: MembershipRole;
  /** EXPIRED is derived when read: a PENDING invitation past expiresAt. */
  status: InvitationStatus;
};

export type InvitationStatus =
  | 'ACCEPTED'
  | 'DECLINED'
  | 'EXPIRED'
  | 'PENDING'
  | 'REVOKED';

export type InviteMemberInput = {
  email: Scalars['String']['input'];
  organizationId: Scalars['ID']['input'];
  role: MembershipRole;
};

export type Membership = {
  __typename?: 'Membership';
  id: Scalars['ID']['output'];
  organization: Organization;
  role: MembershipRole;
  user: User;
};

export type MembershipRole =
  | 'ADMIN'
  | 'MEMBER'
  | 'OWNER';

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * The invitee: a signed-in user whose verified email equals the invitation's; anyone else (and
   * an unknown id) FORBIDDEN. An expired invitation: FORBIDDEN (reason invitation_expired).
   * A user already a member keeps their membership and role.
   */
  acceptInvitation: Membership;
  /** Services holding organizations:admin (provisioning). Exactly one of userId / email; email ensures the user. */
  addMember: Membership;
  /**
   * A personal key of the viewer (no organizationId) or a key of an organization (its OWNER or
   * ADMIN). Scopes never beyond the creator's: FORBIDDEN. The secret is in the answer, once.
   */
  createApiKey: CreatedApiKey;
  /** Any signed-in user; the caller becomes its OWNER. */
  createOrganization: Organization;
  /** The invitee (as acceptInvitation); true once declined. */
  declineInvitation: Scalars['Boolean']['output'];
  /** users:admin: erases the user (a tombstone id remains); refused with LAST_OWNER for the last OWNER of an organization with other members. */
  deleteUser: Scalars['Boolean']['output'];
  /** The viewer: erases their account (as deleteUser). */
  deleteViewer: Scalars['Boolean']['output'];
  /**
   * Without input: ensures the calling user exists (provisioning is implicit on any request;
   * this makes it explicit). With input: a service holding `users:write` gets or creates a
   * user by email (the email counts as verified).
   */
  ensureUser: EnsureUserPayload;
  /** Operators and services holding users:admin: the user's own requests carry users:admin and organizations:admin (every replica within 1 s). */
  grantOperator: User;
  /**
   * OWNER or ADMIN (only an OWNER invites an OWNER). Creates no user and tells nothing about the
   * address: an address with an account and one without answer the same. Inviting an address
   * that already has a pending invitation renews it (same id, new role and expiry).
   */
  inviteMember: Invitation;
  /** users:admin: restores a suspended user's access at once. */
  reactivateUser: User;
  /** OWNER, ADMIN, or the member leaving; the last OWNER cannot be removed. */
  removeMember: Scalars['Boolean']['output'];
  /** Its creator, the organization's OWNER/ADMIN, users:admin; anyone else NOT_FOUND. True once revoked. */
  revokeApiKey: Scalars['Boolean']['output'];
  /** OWNER or ADMIN of the invitation's organization; true once revoked. */
  revokeInvitation: Scalars['Boolean']['output'];
  /** Operators and services holding users:admin: the user's requests stop carrying the operator scopes (every replica within 1 s). */
  revokeOperator: User;
  /** The session's user, or services holding users:admin: that session's tokens (platform tokens included) stop, no other's. An id that is not one of the caller's sessions: NOT_FOUND. True once revoked. */
  revokeSession: Scalars['Boolean']['output'];
  /** users:admin: every token of the user issued up to now stops (401, reason revoked). */
  revokeSessions: Scalars['Boolean']['output'];
  /** Services holding organizations:admin: bind an organization to an SSO connection and email domains. */
  setOrganizationSso: Organization;
  /** The viewer: every token of theirs issued up to now stops. */
  signOutEverywhere: Scalars['Boolean']['output'];
  /** users:admin: the user's tokens answer 403 USER_SUSPENDED until reactivated. */
  suspendUser: User;
  /** OWNER or ADMIN; only an OWNER makes or unmakes an OWNER; the last OWNER cannot be demoted. */
  updateMemberRole: Membership;
};


export type MutationAcceptInvitationArgs = {
  id: Scalars['ID']['input'];
};


export type MutationAddMemberArgs = {
  input: AddMemberInput;
};


export type MutationCreateApiKeyArgs = {
  input: CreateApiKeyInput;
};


export type MutationCreateOrganizationArgs = {
  input: CreateOrganizationInput;
};


export type MutationDeclineInvitationArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteUserArgs = {
  userId: Scalars['ID']['input'];
};


export type MutationEnsureUserArgs = {
  input?: InputMaybe<EnsureUserInput>;
};


export type MutationGrantOperatorArgs = {
  userId: Scalars['ID']['input'];
};


export type MutationInviteMemberArgs = {
  input: InviteMemberInput;
};


export type MutationReactivateUserArgs = {
  userId: Scalars['ID']['input'];
};


export type MutationRemoveMemberArgs = {
  membershipId: Scalars['ID']['input'];
};


export type MutationRevokeApiKeyArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRevokeInvitationArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRevokeOperatorArgs = {
  userId: Scalars['ID']['input'];
};


export type MutationRevokeSessionArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRevokeSessionsArgs = {
  userId: Scalars['ID']['input'];
};


export type MutationSetOrganizationSsoArgs = {
  input: SetOrganizationSsoInput;
};


export type MutationSuspendUserArgs = {
  reason?: InputMaybe<Scalars['String']['input']>;
  userId: Scalars['ID']['input'];
};


export type MutationUpdateMemberRoleArgs = {
  input: UpdateMemberRoleInput;
};

export type Organization = {
  __typename?: 'Organization';
  /** The organization's API keys, revoked ones included. OWNER and ADMIN (empty list for anyone else). */
  apiKeys: Array<ApiKey>;
  /** Newest first. Visible to OWNER and ADMIN. */
  auditEvents?: Maybe<AuditEventConnection>;
  id: Scalars['ID']['output'];
  /** Pending (unexpired) invitations, oldest first. Visible to OWNER and ADMIN (empty list for anyone else). */
  invitations: Array<Invitation>;
  /** Visible to members. */
  members: Array<Membership>;
  name: Scalars['String']['output'];
  /** Visible to OWNER and ADMIN. */
  sso?: Maybe<OrganizationSso>;
  viewerMembership?: Maybe<Membership>;
};


export type OrganizationAuditEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type OrganizationSso = {
  __typename?: 'OrganizationSso';
  connection?: Maybe<Scalars['String']['output']>;
  domains: Array<Scalars['String']['output']>;
  externalOrganizationId?: Maybe<Scalars['String']['output']>;
  issuer: Scalars['String']['output'];
  jitRole: MembershipRole;
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** Public: how should this email address sign in? */
  authDiscovery: AuthDiscovery;
  /** An organization the caller belongs to (or any, for services holding organizations:read); null otherwise. */
  organization?: Maybe<Organization>;
  /** Services holding users:read. Never creates a user; null for an unknown or deleted id. */
  user?: Maybe<User>;
  /** Services holding users:read. Never creates a user; null when none holds the email. */
  userByEmail?: Maybe<User>;
  /**
   * Services holding users:read (and operators): the user the external identity (issuer, subject)
   * is bound to; null when none. `issuer` is a configured issuer's name (an unknown name:
   * BAD_USER_INPUT, reason unknown_issuer). Never creates a user.
   */
  userByIdentity?: Maybe<User>;
  /** Services holding users:admin. query: an email or name prefix, case-insensitive. */
  users: UserConnection;
  /** The signed-in user; null when anonymous or called by a service principal. */
  viewer?: Maybe<User>;
};


export type QueryAuthDiscoveryArgs = {
  email: Scalars['String']['input'];
};


export type QueryOrganizationArgs = {
  id: Scalars['ID']['input'];
};


export type QueryUserArgs = {
  id: Scalars['ID']['input'];
};


export type QueryUserByEmailArgs = {
  email: Scalars['String']['input'];
};


export type QueryUserByIdentityArgs = {
  issuer: Scalars['String']['input'];
  subject: Scalars['String']['input'];
};


export type QueryUsersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  query?: InputMaybe<Scalars['String']['input']>;
};

/** A session: what a token's `sid` names (a platform token is its IdP session's). */
export type Session = {
  __typename?: 'Session';
  /** Whether the request asking belongs to this session. */
  current: Scalars['Boolean']['output'];
  /** ISO 8601. */
  firstSeenAt: Scalars['String']['output'];
  /** Opaque; not the sid. */
  id: Scalars['ID']['output'];
  /** The configured issuer's name (a platform token's session: the IdP it came from). */
  issuer: Scalars['String']['output'];
  /** ISO 8601; within 60 s of the last request seen. */
  lastSeenAt: Scalars['String']['output'];
  /** ISO 8601, when revoked; revoked sessions stay listed for MAX_TOKEN_AGE_SECONDS. */
  revokedAt?: Maybe<Scalars['String']['output']>;
};

export type SessionConnection = {
  __typename?: 'SessionConnection';
  edges: Array<SessionEdge>;
  pageInfo: PageInfo;
};

export type SessionEdge = {
  __typename?: 'SessionEdge';
  cursor: Scalars['String']['output'];
  node: Session;
};

export type SetOrganizationSsoInput = {
  /** IdP connection to use for sign-in (e.g. an Auth0 enterprise connection). */
  connection?: InputMaybe<Scalars['String']['input']>;
  /** Email domains that sign in through this connection. */
  domains: Array<Scalars['String']['input']>;
  /** The token's org_id for this organization (Auth0 / WorkOS organizations). */
  externalOrganizationId?: InputMaybe<Scalars['String']['input']>;
  /** A configured issuer's name. */
  issuer: Scalars['String']['input'];
  /** Role given on first SSO sign-in; default MEMBER. */
  jitRole?: InputMaybe<MembershipRole>;
  organizationId: Scalars['ID']['input'];
};

export type UpdateMemberRoleInput = {
  membershipId: Scalars['ID']['input'];
  role: MembershipRole;
};

export type User = {
  __typename?: 'User';
  /** The user's personal API keys, revoked ones included; the user themselves (an API key needs the scope user). */
  apiKeys: Array<ApiKey>;
  /** ISO 8601. The user themselves, and services holding users:read. */
  createdAt: Scalars['String']['output'];
  /** On viewer only: the organization bound (SSO) to the token's org_id, when the viewer is a member. */
  currentOrganization?: Maybe<Organization>;
  /** Visible to the user, to members of an organization the user belongs to, and to services holding users:read; null to anyone else. */
  email?: Maybe<Scalars['String']['output']>;
  emailVerified: Scalars['Boolean']['output'];
  /** Visible to whoever may see name; null when no source gave one. */
  familyName?: Maybe<Scalars['String']['output']>;
  /** Visible to whoever may see name; null when no source gave one. */
  givenName?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  /** Visible to the user alone (empty list for anyone else). */
  identities: Array<ExternalIdentity>;
  /** On viewer only, while impersonated: the actor (`act.sub`). */
  impersonator?: Maybe<Scalars['String']['output']>;
  /** On viewer only: pending invitations to the viewer's verified email (empty list for anyone else). */
  invitations: Array<Invitation>;
  /** Whether the user is an operator. The user themselves, and services holding users:read (FORBIDDEN to anyone else, as status). */
  isOperator: Scalars['Boolean']['output'];
  /** ISO 8601; null when never seen. The user themselves, and services holding users:read. */
  lastSeenAt?: Maybe<Scalars['String']['output']>;
  /** The user's memberships that the caller may see. */
  memberships: Array<Membership>;
  /** The source's name, else its given and family names joined by a space. */
  name?: Maybe<Scalars['String']['output']>;
  /** Events whose target is this user, newest first; first <= 100. The user themselves, and services holding users:admin. */
  securityEvents: AuditEventConnection;
  /** The sessions this service admitted for the user (a token's sid), newest first; first <= 100. The user themselves, and services holding users:admin (anyone else: FORBIDDEN). */
  sessions: SessionConnection;
  /** The user themselves, and services holding users:read. */
  status: UserStatus;
};


export type UserSecurityEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type UserSessionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type UserConnection = {
  __typename?: 'UserConnection';
  edges: Array<UserEdge>;
  pageInfo: PageInfo;
};

export type UserEdge = {
  __typename?: 'UserEdge';
  cursor: Scalars['String']['output'];
  node: User;
};

export type UserStatus =
  | 'ACTIVE'
  | 'SUSPENDED';

export type WithIndex<TObject> = TObject & Record<string, any>;
export type ResolversObject<TObject> = WithIndex<TObject>;

export type ResolverTypeWrapper<T> = Promise<T> | T;

export type ReferenceResolver<TResult, TReference, TContext> = (
      reference: TReference,
      context: TContext,
      info: GraphQLResolveInfo
    ) => Promise<TResult> | TResult;

      type ScalarCheck<T, S> = S extends true ? T : NullableCheck<T, S>;
      type NullableCheck<T, S> = Maybe<T> extends T ? Maybe<ListCheck<NonNullable<T>, S>> : ListCheck<T, S>;
      type ListCheck<T, S> = T extends (infer U)[] ? NullableCheck<U, S>[] : GraphQLRecursivePick<T, S>;
      export type GraphQLRecursivePick<T, S> = { [K in keyof T & keyof S]: ScalarCheck<T[K], S[K]> };
    

export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

/** Mapping of federation types */
export type FederationTypes = ResolversObject<{
  Membership: Membership;
  Organization: Organization;
  User: User;
}>;

/** Mapping of federation reference types */
export type FederationReferenceTypes = ResolversObject<{
  Membership:
    ( { __typename: 'Membership' }
    & GraphQLRecursivePick<FederationTypes['Membership'], {"id":true}> );
  Organization:
    ( { __typename: 'Organization' }
    & GraphQLRecursivePick<FederationTypes['Organization'], {"id":true}> );
  User:
    ( { __typename: 'User' }
    & GraphQLRecursivePick<FederationTypes['User'], {"id":true}> );
}>;



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  AddMemberInput: AddMemberInput;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  ApiKey: ResolverTypeWrapper<ApiKeyModel>;
  AuditEvent: ResolverTypeWrapper<AuditEventModel>;
  AuditEventConnection: ResolverTypeWrapper<Omit<AuditEventConnection, 'edges'> & { edges: Array<ResolversTypes['AuditEventEdge']> }>;
  AuditEventEdge: ResolverTypeWrapper<Omit<AuditEventEdge, 'node'> & { node: ResolversTypes['AuditEvent'] }>;
  AuthDiscovery: ResolverTypeWrapper<AuthDiscovery>;
  AuthMethod: AuthMethod;
  CreateApiKeyInput: CreateApiKeyInput;
  CreateOrganizationInput: CreateOrganizationInput;
  CreatedApiKey: ResolverTypeWrapper<Omit<CreatedApiKey, 'apiKey'> & { apiKey: ResolversTypes['ApiKey'] }>;
  EnsureUserInput: EnsureUserInput;
  EnsureUserPayload: ResolverTypeWrapper<Omit<EnsureUserPayload, 'user'> & { user: ResolversTypes['User'] }>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  ExternalIdentity: ResolverTypeWrapper<ExternalIdentityModel>;
  Invitation: ResolverTypeWrapper<InvitationModel>;
  InvitationStatus: InvitationStatus;
  InviteMemberInput: InviteMemberInput;
  Membership: ResolverTypeWrapper<MembershipModel>;
  MembershipRole: MembershipRole;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Organization: ResolverTypeWrapper<OrganizationModel>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  OrganizationSso: ResolverTypeWrapper<OrganizationSsoModel>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Session: ResolverTypeWrapper<SessionModel>;
  SessionConnection: ResolverTypeWrapper<Omit<SessionConnection, 'edges'> & { edges: Array<ResolversTypes['SessionEdge']> }>;
  SessionEdge: ResolverTypeWrapper<Omit<SessionEdge, 'node'> & { node: ResolversTypes['Session'] }>;
  SetOrganizationSsoInput: SetOrganizationSsoInput;
  UpdateMemberRoleInput: UpdateMemberRoleInput;
  User: ResolverTypeWrapper<UserModel>;
  UserConnection: ResolverTypeWrapper<Omit<UserConnection, 'edges'> & { edges: Array<ResolversTypes['UserEdge']> }>;
  UserEdge: ResolverTypeWrapper<Omit<UserEdge, 'node'> & { node: ResolversTypes['User'] }>;
  UserStatus: UserStatus;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  AddMemberInput: AddMemberInput;
  String: Scalars['String']['output'];
  ID: Scalars['ID']['output'];
  ApiKey: ApiKeyModel;
  AuditEvent: AuditEventModel;
  AuditEventConnection: Omit<AuditEventConnection, 'edges'> & { edges: Array<ResolversParentTypes['AuditEventEdge']> };
  AuditEventEdge: Omit<AuditEventEdge, 'node'> & { node: ResolversParentTypes['AuditEvent'] };
  AuthDiscovery: AuthDiscovery;
  CreateApiKeyInput: CreateApiKeyInput;
  CreateOrganizationInput: CreateOrganizationInput;
  CreatedApiKey: Omit<CreatedApiKey, 'apiKey'> & { apiKey: ResolversParentTypes['ApiKey'] };
  EnsureUserInput: EnsureUserInput;
  EnsureUserPayload: Omit<EnsureUserPayload, 'user'> & { user: ResolversParentTypes['User'] };
  Boolean: Scalars['Boolean']['output'];
  ExternalIdentity: ExternalIdentityModel;
  Invitation: InvitationModel;
  InviteMemberInput: InviteMemberInput;
  Membership: MembershipModel;
  Mutation: Record<PropertyKey, never>;
  Organization: OrganizationModel;
  Int: Scalars['Int']['output'];
  OrganizationSso: OrganizationSsoModel;
  PageInfo: PageInfo;
  Query: Record<PropertyKey, never>;
  Session: SessionModel;
  SessionConnection: Omit<SessionConnection, 'edges'> & { edges: Array<ResolversParentTypes['SessionEdge']> };
  SessionEdge: Omit<SessionEdge, 'node'> & { node: ResolversParentTypes['Session'] };
  SetOrganizationSsoInput: SetOrganizationSsoInput;
  UpdateMemberRoleInput: UpdateMemberRoleInput;
  User: UserModel;
  UserConnection: Omit<UserConnection, 'edges'> & { edges: Array<ResolversParentTypes['UserEdge']> };
  UserEdge: Omit<UserEdge, 'node'> & { node: ResolversParentTypes['User'] };
}>;

export type ApiKeyResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ApiKey'] = ResolversParentTypes['ApiKey']> = ResolversObject<{
  createdAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  createdBy?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
  expiresAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastUsedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  organization?: Resolver<Maybe<ResolversTypes['Organization']>, ParentType, ContextType>;
  prefix?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  revokedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  scopes?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type AuditEventResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuditEvent'] = ResolversParentTypes['AuditEvent']> = ResolversObject<{
  action?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  actorId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  actorType?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  details?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  impersonator?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  occurredAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  targetId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  targetType?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type AuditEventConnectionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuditEventConnection'] = ResolversParentTypes['AuditEventConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['AuditEventEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type AuditEventEdgeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuditEventEdge'] = ResolversParentTypes['AuditEventEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['AuditEvent'], ParentType, ContextType>;
}>;

export type AuthDiscoveryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['AuthDiscovery'] = ResolversParentTypes['AuthDiscovery']> = ResolversObject<{
  connection?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  issuer?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  method?: Resolver<ResolversTypes['AuthMethod'], ParentType, ContextType>;
  organizationId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
}>;

export type CreatedApiKeyResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['CreatedApiKey'] = ResolversParentTypes['CreatedApiKey']> = ResolversObject<{
  apiKey?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType>;
  secret?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type EnsureUserPayloadResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['EnsureUserPayload'] = ResolversParentTypes['EnsureUserPayload']> = ResolversObject<{
  created?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
}>;

export type ExternalIdentityResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['ExternalIdentity'] = ResolversParentTypes['ExternalIdentity']> = ResolversObject<{
  issuer?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  provider?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  subject?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type InvitationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Invitation'] = ResolversParentTypes['Invitation']> = ResolversObject<{
  email?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  expiresAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  organization?: Resolver<ResolversTypes['Organization'], ParentType, ContextType>;
  role?: Resolver<ResolversTypes['MembershipRole'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['InvitationStatus'], ParentType, ContextType>;
}>;

export type MembershipResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Membership'] = ResolversParentTypes['Membership'], FederationReferenceType extends FederationReferenceTypes['Membership'] = FederationReferenceTypes['Membership']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Membership']> | FederationReferenceType, FederationReferenceType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  organization?: Resolver<ResolversTypes['Organization'], ParentType, ContextType>;
  role?: Resolver<ResolversTypes['MembershipRole'], ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  acceptInvitation?: Resolver<ResolversTypes['Membership'], ParentType, ContextType, RequireFields<MutationAcceptInvitationArgs, 'id'>>;
  addMember?: Resolver<ResolversTypes['Membership'], ParentType, ContextType, RequireFields<MutationAddMemberArgs, 'input'>>;
  createApiKey?: Resolver<ResolversTypes['CreatedApiKey'], ParentType, ContextType, RequireFields<MutationCreateApiKeyArgs, 'input'>>;
  createOrganization?: Resolver<ResolversTypes['Organization'], ParentType, ContextType, RequireFields<MutationCreateOrganizationArgs, 'input'>>;
  declineInvitation?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationDeclineInvitationArgs, 'id'>>;
  deleteUser?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationDeleteUserArgs, 'userId'>>;
  deleteViewer?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  ensureUser?: Resolver<ResolversTypes['EnsureUserPayload'], ParentType, ContextType, Partial<MutationEnsureUserArgs>>;
  grantOperator?: Resolver<ResolversTypes['User'], ParentType, ContextType, RequireFields<MutationGrantOperatorArgs, 'userId'>>;
  inviteMember?: Resolver<ResolversTypes['Invitation'], ParentType, ContextType, RequireFields<MutationInviteMemberArgs, 'input'>>;
  reactivateUser?: Resolver<ResolversTypes['User'], ParentType, ContextType, RequireFields<MutationReactivateUserArgs, 'userId'>>;
  removeMember?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationRemoveMemberArgs, 'membershipId'>>;
  revokeApiKey?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationRevokeApiKeyArgs, 'id'>>;
  revokeInvitation?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationRevokeInvitationArgs, 'id'>>;
  revokeOperator?: Resolver<ResolversTypes['User'], ParentType, ContextType, RequireFields<MutationRevokeOperatorArgs, 'userId'>>;
  revokeSession?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationRevokeSessionArgs, 'id'>>;
  revokeSessions?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationRevokeSessionsArgs, 'userId'>>;
  setOrganizationSso?: Resolver<ResolversTypes['Organization'], ParentType, ContextType, RequireFields<MutationSetOrganizationSsoArgs, 'input'>>;
  signOutEverywhere?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  suspendUser?: Resolver<ResolversTypes['User'], ParentType, ContextType, RequireFields<MutationSuspendUserArgs, 'userId'>>;
  updateMemberRole?: Resolver<ResolversTypes['Membership'], ParentType, ContextType, RequireFields<MutationUpdateMemberRoleArgs, 'input'>>;
}>;

export type OrganizationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Organization'] = ResolversParentTypes['Organization'], FederationReferenceType extends FederationReferenceTypes['Organization'] = FederationReferenceTypes['Organization']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Organization']> | FederationReferenceType, FederationReferenceType, ContextType>;
  apiKeys?: Resolver<Array<ResolversTypes['ApiKey']>, ParentType, ContextType>;
  auditEvents?: Resolver<Maybe<ResolversTypes['AuditEventConnection']>, ParentType, ContextType, RequireFields<OrganizationAuditEventsArgs, 'first'>>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  invitations?: Resolver<Array<ResolversTypes['Invitation']>, ParentType, ContextType>;
  members?: Resolver<Array<ResolversTypes['Membership']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  sso?: Resolver<Maybe<ResolversTypes['OrganizationSso']>, ParentType, ContextType>;
  viewerMembership?: Resolver<Maybe<ResolversTypes['Membership']>, ParentType, ContextType>;
}>;

export type OrganizationSsoResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['OrganizationSso'] = ResolversParentTypes['OrganizationSso']> = ResolversObject<{
  connection?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  domains?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  externalOrganizationId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  issuer?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  jitRole?: Resolver<ResolversTypes['MembershipRole'], ParentType, ContextType>;
}>;

export type PageInfoResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  authDiscovery?: Resolver<ResolversTypes['AuthDiscovery'], ParentType, ContextType, RequireFields<QueryAuthDiscoveryArgs, 'email'>>;
  organization?: Resolver<Maybe<ResolversTypes['Organization']>, ParentType, ContextType, RequireFields<QueryOrganizationArgs, 'id'>>;
  user?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType, RequireFields<QueryUserArgs, 'id'>>;
  userByEmail?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType, RequireFields<QueryUserByEmailArgs, 'email'>>;
  userByIdentity?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType, RequireFields<QueryUserByIdentityArgs, 'issuer' | 'subject'>>;
  users?: Resolver<ResolversTypes['UserConnection'], ParentType, ContextType, RequireFields<QueryUsersArgs, 'first'>>;
  viewer?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
}>;

export type SessionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Session'] = ResolversParentTypes['Session']> = ResolversObject<{
  current?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  firstSeenAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  issuer?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  lastSeenAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  revokedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type SessionConnectionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['SessionConnection'] = ResolversParentTypes['SessionConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['SessionEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type SessionEdgeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['SessionEdge'] = ResolversParentTypes['SessionEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Session'], ParentType, ContextType>;
}>;

export type UserResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User'], FederationReferenceType extends FederationReferenceTypes['User'] = FederationReferenceTypes['User']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['User']> | FederationReferenceType, FederationReferenceType, ContextType>;
  apiKeys?: Resolver<Array<ResolversTypes['ApiKey']>, ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  currentOrganization?: Resolver<Maybe<ResolversTypes['Organization']>, ParentType, ContextType>;
  email?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  emailVerified?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  familyName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  givenName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  identities?: Resolver<Array<ResolversTypes['ExternalIdentity']>, ParentType, ContextType>;
  impersonator?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  invitations?: Resolver<Array<ResolversTypes['Invitation']>, ParentType, ContextType>;
  isOperator?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  lastSeenAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  memberships?: Resolver<Array<ResolversTypes['Membership']>, ParentType, ContextType>;
  name?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  securityEvents?: Resolver<ResolversTypes['AuditEventConnection'], ParentType, ContextType, RequireFields<UserSecurityEventsArgs, 'first'>>;
  sessions?: Resolver<ResolversTypes['SessionConnection'], ParentType, ContextType, RequireFields<UserSessionsArgs, 'first'>>;
  status?: Resolver<ResolversTypes['UserStatus'], ParentType, ContextType>;
}>;

export type UserConnectionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['UserConnection'] = ResolversParentTypes['UserConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['UserEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type UserEdgeResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['UserEdge'] = ResolversParentTypes['UserEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = GraphQLContext> = ResolversObject<{
  ApiKey?: ApiKeyResolvers<ContextType>;
  AuditEvent?: AuditEventResolvers<ContextType>;
  AuditEventConnection?: AuditEventConnectionResolvers<ContextType>;
  AuditEventEdge?: AuditEventEdgeResolvers<ContextType>;
  AuthDiscovery?: AuthDiscoveryResolvers<ContextType>;
  CreatedApiKey?: CreatedApiKeyResolvers<ContextType>;
  EnsureUserPayload?: EnsureUserPayloadResolvers<ContextType>;
  ExternalIdentity?: ExternalIdentityResolvers<ContextType>;
  Invitation?: InvitationResolvers<ContextType>;
  Membership?: MembershipResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Organization?: OrganizationResolvers<ContextType>;
  OrganizationSso?: OrganizationSsoResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Session?: SessionResolvers<ContextType>;
  SessionConnection?: SessionConnectionResolvers<ContextType>;
  SessionEdge?: SessionEdgeResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
  UserConnection?: UserConnectionResolvers<ContextType>;
  UserEdge?: UserEdgeResolvers<ContextType>;
}>;

