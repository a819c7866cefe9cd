// The scopes that carry a request's tracing context into the work that can issue SQL or outbound
// calls (src/tracing/scopes.ts): visible across the awaits of the work, never outside a scope,
// and the async hooks off again once no scope is pending.
import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, createContextKey, type Context } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createScopes } from '../../src/tracing/scopes.js';

const KEY = createContextKey('test');
const contextOf = (name: string) => ROOT_CONTEXT.setValue(KEY, name);
const nameOf = (scopes: ReturnType<typeof createScopes>) => scopes.active().getValue(KEY) ?? 'root';
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('tracing scopes', () => {
  it("carries a scope's context across its awaits, timers and nested scopes, and nowhere else", async () => {
    const scopes = createScopes();
    const seen: string[] = [];
    expect(nameOf(scopes)).toBe('root');
    const a = scopes.with(contextOf('a'), async () => {
      seen.push(`a:${nameOf(scopes)}`);
      await tick();
      seen.push(`a after await:${nameOf(scopes)}`);
      await scopes.with(contextOf('a.1'), async () => {
        await null;
        seen.push(`a.1:${nameOf(scopes)}`);
      });
      seen.push(`a after nested:${nameOf(scopes)}`);
    });
    // Code outside any scope, running while a's work is pending: the root, not a's context.
    const outside = (async () => {
      await tick();
      seen.push(`outside:${nameOf(scopes)}`);
    })();
    seen.push(`sync scope:${scopes.with(contextOf('b'), () => nameOf(scopes))}`);
    await Promise.all([a, outside]);
    expect(seen.sort()).toEqual(['a after await:a', 'a after nested:a', 'a.1:a.1', 'a:a', 'outside:root', 'sync scope:b'].sort());
    expect(nameOf(scopes)).toBe('root');
    scopes.close();
  });

  it('turns the async hooks on only while a scope is pending (their cost is what scopes save)', async () => {
    // The store itself tells whether it is enabled (Node runs an enabled store's hooks on every
    // promise of the process; a disabled one costs nothing). Watched through its public methods:
    // whether other stores of the process (another file's, the coverage tool's) are enabled does
    // not matter here.
    class WatchedStorage extends AsyncLocalStorage<Context> {
      enabled = false;
      override run<R>(store: Context, callback: () => R): R {
        this.enabled = true;
        return super.run(store, callback);
      }
      override disable(): void {
        this.enabled = false;
        super.disable();
      }
    }
    const storage = new WatchedStorage();
    const scopes = createScopes(storage);
    expect(storage.enabled).toBe(false);
    let release: (value?: unknown) => void = () => undefined;
    const pending = scopes.with(contextOf('a'), () => new Promise((resolve) => (release = resolve)));
    await null;
    expect(storage.enabled).toBe(true);
    release();
    await pending;
    await null;
    expect(storage.enabled).toBe(false);
    expect(scopes.with(contextOf('b'), () => 1)).toBe(1);
    expect(storage.enabled).toBe(false);
    scopes.close();
  });

  it('releases a scope whose work throws or rejects, and runs work unscoped once closed', async () => {
    const scopes = createScopes();
    expect(() => scopes.with(contextOf('a'), () => { throw new Error('sync'); })).toThrow('sync');
    await expect(scopes.with(contextOf('b'), async () => { throw new Error('async'); })).rejects.toThrow('async');
    // Nothing pending: a promise continuing after the scopes ended finds the root.
    let late = '';
    await scopes.with(contextOf('c'), () => tick()).then(() => (late = nameOf(scopes) as string));
    expect(late).toBe('root');
    scopes.close();
    expect(scopes.with(contextOf('d'), () => nameOf(scopes))).toBe('root');
  });
});
