// One request's view of the user store: the one place a user row lives during a request, so every
// field of the request sees one copy. Reads go to the store (its current rows from memory, else one
// batched statement per request tick); the GraphQL layer clears the view after each mutation.
import DataLoader from 'dataloader';
import { isUuid } from '../domain/ids.js';
import type { User } from '../domain/types.js';
import { unscoped, type Scope } from '../lib/scope.js';

/** What a view reads through (the store). */
export interface UserSource {
  peek(id: string): User | undefined;
  findByIds(ids: readonly string[]): Promise<User[]>;
  findByEmail(email: string): Promise<User | null>;
}

export interface UserView {
  /**
   * The user by id: a row this request holds, else the store's current row from memory, both
   * without a promise (the viewer, every request); else read, batched with the request's other
   * reads. null: no such user (a malformed id never reaches the database).
   */
  get(id: string): User | null | Promise<User | null>;
  /**
   * The user's row when the request holds it or the store has it in memory (held from then on);
   * undefined when it would take a read (none is started).
   */
  peek(id: string): User | undefined;
  /** The user holding this (normalised) email, a verified holder first; null when none. */
  findByEmail(email: string): Promise<User | null>;
  /**
   * The row authentication just read or wrote for this request's user (identity resolution): the
   * request's first answer needs no second read. Only the authenticator hands rows in.
   */
  hold(user: User): void;
  /** Forgets what the request read (after a mutation: what follows reads the store again). */
  clear(): void;
  /**
   * Where the view's reads start from now on (tracing on: the GraphQL operation's scope, so that
   * their statements hang under its span, whoever asked for the row).
   */
  readIn(scope: Scope): void;
}

/** The rows one request holds, by id: one slot (the viewer, every request) before a map. */
class HeldUsers {
  #one: User | undefined;
  #more: Map<string, User> | undefined;

  get(id: string): User | undefined {
    return this.#one?.id === id ? this.#one : this.#more?.get(id);
  }

  hold(user: User): void {
    if (this.#one === undefined || this.#one.id === user.id) this.#one = user;
    else (this.#more ??= new Map()).set(user.id, user);
  }

  clear(): void {
    this.#one = undefined;
    this.#more = undefined;
  }
}

class RequestUsers implements UserView {
  readonly #source: UserSource;
  readonly #held = new HeldUsers();
  #loader: DataLoader<string, User | null> | undefined;
  #scope: Scope = unscoped;

  constructor(source: UserSource) {
    this.#source = source;
  }

  get(id: string): User | null | Promise<User | null> {
    return this.peek(id) ?? this.#batch().load(id);
  }

  peek(id: string): User | undefined {
    const held = this.#held.get(id);
    if (held !== undefined) return held;
    const current = this.#source.peek(id);
    if (current !== undefined) this.#held.hold(current);
    return current;
  }

  async findByEmail(email: string): Promise<User | null> {
    const user = await this.#scope(() => this.#source.findByEmail(email));
    if (user !== null) this.hold(user);
    return user;
  }

  hold(user: User): void {
    this.#held.hold(user);
    this.#loader?.clear(user.id);
  }

  clear(): void {
    this.#held.clear();
    this.#loader = undefined;
  }

  readIn(scope: Scope): void {
    this.#scope = scope;
  }

  /** Ids read in one statement per tick; unknown and malformed ids answer null. */
  #batch(): DataLoader<string, User | null> {
    return (this.#loader ??= new DataLoader<string, User | null>(
      async (keys) => {
        const ids = [...new Set(keys.filter(isUuid).map((key) => key.toLowerCase()))];
        const found = new Map<string, User>();
        for (const user of ids.length === 0 ? [] : await this.#scope(() => this.#source.findByIds(ids))) {
          this.#held.hold(user);
          found.set(user.id, user);
        }
        return keys.map((key) => (isUuid(key) ? (found.get(key.toLowerCase()) ?? null) : null));
      },
      { maxBatchSize: 1000 },
    ));
  }
}

export function createUserView(source: UserSource): UserView {
  return new RequestUsers(source);
}
