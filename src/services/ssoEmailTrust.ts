// emailTrust "ssoDomain": the SSO bindings an issuer's pending emails are settled against
// (domain/ssoDomainTrust.ts decides), held in memory so that a warm token costs no statement.
// Every change to a binding or its domains drops them: this process's own at once (the SSO
// service publishes to the lifecycle feed after its commit), another replica's when its
// announcement arrives (migration 012). While the database's announcements cannot be heard,
// nothing is trusted from memory: each settlement reads its one binding.
import type { LifecycleFeed } from '../db/lifecycleFeed.js';
import type { Database } from '../db/queryable.js';
import { bindingKey, findBoundDomains, findSsoByExternalOrganization } from '../db/sso.js';
import { settleSsoDomainTrust } from '../domain/ssoDomainTrust.js';
import type { UserClaims } from '../domain/types.js';

export interface SsoEmailTrust {
  /**
   * The claims as the identity rules take them, from memory (no promise): the same object when
   * nothing is pending; undefined when memory cannot tell (then `settle`).
   */
  peek(claims: UserClaims): UserClaims | undefined;
  /** The same, reading the bindings when memory cannot tell. @throws the database's errors */
  settle(claims: UserClaims): Promise<UserClaims>;
  /** Stops hearing the feed. */
  close(): void;
}

export interface SsoEmailTrustOptions {
  db: Database;
  feed: LifecycleFeed;
  /** Names of the issuers whose entries say `emailTrust: "ssoDomain"`. */
  issuerNames: readonly string[];
}

/** For an app with no `ssoDomain` issuer: nothing is ever pending. */
export const NO_SSO_EMAIL_TRUST: SsoEmailTrust = {
  peek: (claims) => claims,
  settle: async (claims) => claims,
  close: () => undefined,
};

export function createSsoEmailTrust(options: SsoEmailTrustOptions): SsoEmailTrust {
  const { db, feed } = options;
  if (options.issuerNames.length === 0) return NO_SSO_EMAIL_TRUST;
  const issuerNames = [...options.issuerNames];
  let bindings: Map<string, Set<string>> | null = null;
  // Moved on by every change heard: a load begun before one is not kept, and settled claims
  // remembered under an older generation are settled again.
  let generation = 0;
  let loading: Promise<void> | null = null;
  const settled = new WeakMap<UserClaims, { generation: number; claims: UserClaims }>();
  const hearing = (): boolean => db.userChanges?.listening ?? true;

  const unsubscribe = feed.subscribe({
    onChange(change) {
      if (change.type !== 'sso') return;
      bindings = null;
      generation += 1;
    },
    onRestart() {
      // Changes made while unheard are unknown.
      bindings = null;
      generation += 1;
    },
  });

  function load(): Promise<void> {
    loading ??= (async () => {
      const at = generation;
      try {
        const loaded = await findBoundDomains(db, issuerNames);
        if (generation === at) bindings = loaded;
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  function fromMemory(claims: UserClaims, held: Map<string, Set<string>>): UserClaims {
    const hit = settled.get(claims);
    if (hit !== undefined && hit.generation === generation) return hit.claims;
    const result = settleSsoDomainTrust(claims, held.get(bindingKey(claims.provider, claims.externalOrganizationId!)));
    settled.set(claims, { generation, claims: result });
    return result;
  }

  return {
    peek(claims) {
      if (claims.emailTrustPending !== true) return claims;
      if (bindings === null || !hearing()) return undefined;
      return fromMemory(claims, bindings);
    },

    async settle(claims) {
      if (claims.emailTrustPending !== true) return claims;
      if (!hearing()) {
        const binding = await findSsoByExternalOrganization(db, claims.provider, claims.externalOrganizationId!);
        return settleSsoDomainTrust(claims, binding === null ? null : new Set(binding.domains));
      }
      // A change heard while loading drops the load: try again (a storm of changes ends somewhere).
      for (let attempt = 0; bindings === null && attempt < 3; attempt += 1) await load();
      if (bindings === null) {
        const binding = await findSsoByExternalOrganization(db, claims.provider, claims.externalOrganizationId!);
        return settleSsoDomainTrust(claims, binding === null ? null : new Set(binding.domains));
      }
      return fromMemory(claims, bindings);
    },

    close: unsubscribe,
  };
}
