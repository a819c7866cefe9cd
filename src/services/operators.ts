// Operators (api-keys.md, Operators): staff who act as users:admin and organizations:admin on their
// own user requests. The status is the user row's (users.is_operator), written through the user
// store (whose writes, announced at commit, reach every replica's requests), each change with its
// audit row in the same transaction. Also `userByIdentity`, the lookup by external identity.
import { AppError, authenticationRequired, badInput } from '../errors.js';
import { isUuid } from '../domain/ids.js';
import { canLookUpIdentities, canManageOperators } from '../domain/policy.js';
import type { Actor, Principal, User } from '../domain/types.js';
import { appendAudit } from '../db/audit.js';
import type { UserStore, UserView } from '../db/userStore.js';
import { actorOf } from './guards.js';

export interface OperatorService {
  /** Operators and users:admin services. @throws UNAUTHENTICATED, FORBIDDEN (missing_scope), NOT_FOUND */
  grantOperator(principal: Principal, userId: string): Promise<User>;
  /** Operators and users:admin services. @throws UNAUTHENTICATED, FORBIDDEN (missing_scope), NOT_FOUND */
  revokeOperator(principal: Principal, userId: string): Promise<User>;
  /**
   * Sets the status of the user `userId` on behalf of `actor` (the command line: no principal);
   * unchanged status writes nothing. @throws NOT_FOUND
   */
  setOperator(actor: Actor, userId: string, isOperator: boolean): Promise<User>;
  /** Every operator. */
  operators(): Promise<User[]>;
  /**
   * users:read (and operators): the user bound to (issuer name, subject); null when none. Never
   * provisions. @throws FORBIDDEN (missing_scope), BAD_USER_INPUT (unknown_issuer)
   */
  userByIdentity(principal: Principal, issuerName: string, subject: string, users: UserView): Promise<User | null>;
}

const notFound = () => new AppError('NOT_FOUND', { message: 'No such user.', reason: 'user_not_found' });

export function createOperatorService(deps: {
  users: UserStore;
  /** Configured issuer name → its exact `iss` (identities are bound by `iss`). */
  issuersByName: ReadonlyMap<string, string>;
}): OperatorService {
  const { users } = deps;

  async function setOperator(actor: Actor, userId: string, isOperator: boolean): Promise<User> {
    if (!isUuid(userId)) throw notFound();
    return users.transaction(async (tx, rows) => {
      const current = await rows.lock(userId);
      if (current === null) throw notFound();
      if (current.isOperator === isOperator) return current;
      const updated = (await rows.setOperator(userId, isOperator))!;
      await appendAudit(tx, actor, { action: isOperator ? 'user.operator_granted' : 'user.operator_revoked', targetType: 'User', targetId: userId });
      return updated;
    });
  }

  function authorize(principal: Principal): Actor {
    if (principal.kind === 'anonymous') throw authenticationRequired();
    if (!canManageOperators(principal)) throw new AppError('FORBIDDEN', { reason: 'missing_scope' });
    return actorOf(principal);
  }

  return {
    grantOperator: async (principal, userId) => setOperator(authorize(principal), userId, true),
    revokeOperator: async (principal, userId) => setOperator(authorize(principal), userId, false),
    setOperator,
    operators: () => users.operators(),

    async userByIdentity(principal, issuerName, subject, view) {
      if (!canLookUpIdentities(principal)) throw new AppError('FORBIDDEN', { reason: 'missing_scope' });
      const issuer = deps.issuersByName.get(issuerName);
      // A name no issuer has is the caller's mistake (a typo would otherwise read as "no such user").
      if (issuer === undefined) throw badInput('issuer is not the name of a configured issuer.', 'unknown_issuer');
      const bound = await users.findIdentity(issuer, subject);
      if (bound === null) return null;
      view.hold(bound.user);
      return bound.user;
    },
  };
}
