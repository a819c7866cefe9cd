// Where work runs, for what it starts to belong to something beyond the call (tracing: a span,
// src/tracing/types.ts). A plain function type and its neutral case, apart from the tracing
// modules: with tracing off, none of those is loaded (test/performance/runtime.test.ts).

/**
 * Runs `work` where the SQL statements and outbound calls it makes, at once or in the promises it
 * starts, find their parent span (tracing on).
 */
export type Scope = <T>(work: () => T) => T;

/** The scope of work with tracing off: the work, run as it is. */
export const unscoped: Scope = (work) => work();
