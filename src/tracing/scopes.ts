// Where a span's parent is found when the code that makes it cannot be handed one: SQL statements
// and outbound calls, issued deep in services that the whole process shares. A request's context
// is carried explicitly (requests.ts) and entered here only by work that waits: authentication's
// verifications and reads (services/authenticate.ts), the resolvers that call services and the
// reads of the request's view of users and loaders (graphql/context.ts), and the routes other
// than /graphql. Work that answers from memory (the warm viewer) makes no statement and no call,
// and enters no scope.
//
// Why not AsyncLocalStorage for the whole request: on Node 20, while any AsyncLocalStorage is
// enabled, every promise and async resource of the process pays async_hooks' init, before and
// after hooks. Apollo's pipeline makes hundreds per request; with the store enabled for good,
// tracing cost ~55 µs of CPU a request that way (bench/RESULTS.md, 2026-12-07). Here the store
// is enabled only while a scope is pending, and turning it on and off is itself dear (1.8–3 µs
// the pair in a hot loop, against 0.04 µs for a run with the store left on; more in the server):
// hence no scope at all for work that does not wait.
import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';

export interface Scopes {
  /** The context of the scope the caller runs in; the root outside every scope. */
  active(): Context;
  /**
   * Runs `work` in a scope of `context`: what it calls, synchronously or in the promises it
   * starts, sees `context` as active until the promise it returns settles.
   */
  with<T>(context: Context, work: () => T): T;
  /** Turns the hooks off for good (shutdown). */
  close(): void;
  /** How many scopes have been entered (what a warm request must not add to: tracing.test.ts). */
  readonly entered: number;
}

/** `storage`: the store the scopes enter (a fresh one by default). */
export function createScopes(storage: AsyncLocalStorage<Context> = new AsyncLocalStorage<Context>()): Scopes {
  // Scopes whose work is pending. The hooks stay on while there is one: a continuation of a
  // scope's work that ran after they went off would find no context (its spans become roots).
  let pending = 0;
  let entered = 0;
  let closed = false;
  const release = () => {
    pending -= 1;
    // `run` enables the storage again at the next scope.
    if (pending === 0) storage.disable();
  };
  return {
    active() {
      return pending === 0 ? ROOT_CONTEXT : (storage.getStore() ?? ROOT_CONTEXT);
    },
    with<T>(context: Context, work: () => T): T {
      if (closed) return work();
      entered += 1;
      pending += 1;
      let result: T;
      try {
        result = storage.run(context, work);
      } catch (error) {
        release();
        throw error;
      }
      if (result instanceof Promise) {
        // Released once settled; the caller still sees (and handles) a rejection.
        result.then(release, release);
      } else {
        release();
      }
      return result;
    },
    close() {
      closed = true;
      storage.disable();
    },
    get entered() {
      return entered;
    },
  };
}
