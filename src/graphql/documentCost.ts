// What a client's document would cost, measured in time linear in its size. The fragments are
// checked as a graph first (fragmentGraph.ts: a cycle, an unknown or unused fragment is refused
// before any spread is followed); then each fragment is measured once, in dependency order,
// however often it is spread. Only the same-path pair count follows spreads, and only once the
// inlined size (computed per fragment) is known to be within its cap, which bounds that walk.
import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import { readFragmentGraph, type Definition } from './fragmentGraph.js';

export interface CostLimits {
  /** Deepest field nesting of an operation (QUERY_TOO_DEEP). */
  maxDepth: number;
  /** Aliased fields written in the document (QUERY_TOO_COMPLEX). */
  maxAliases: number;
  /** Selections once every fragment spread is inlined, all operations together (QUERY_TOO_COMPLEX). */
  maxExpandedSelections: number;
  /** Pairs of fields that answer at the same response path (QUERY_TOO_COMPLEX). */
  maxSamePathPairs: number;
}

export type CostRefusal =
  | { code: 'GRAPHQL_VALIDATION_FAILED'; message: string }
  | { code: 'QUERY_TOO_DEEP'; message: string }
  | { code: 'QUERY_TOO_COMPLEX'; message: string };

/** Counts the steps a measurement takes (tests prove the bound with it, not with a clock). */
export interface Meter {
  steps: number;
}

interface PathNode {
  count: number;
  children: Map<string, PathNode> | undefined;
}

/**
 * Pairs of fields answering at the same response path, fragments inlined: what graphql-js's
 * OverlappingFieldsCanBeMerged compares (its cost grows with the square of same-named
 * fields). Visits each inlined selection once, so at most the inlined size, which the caller
 * has bounded; stops counting past `limit`. Iterative: the count does not depend on order.
 */
function samePathPairs(root: SelectionSetNode, fragments: ReadonlyMap<string, Definition>, limit: number, meter: Meter): number {
  let pairs = 0;
  const stack: { set: SelectionSetNode; node: PathNode }[] = [{ set: root, node: { count: 1, children: undefined } }];
  for (let frame = stack.pop(); frame !== undefined && pairs <= limit; frame = stack.pop()) {
    const { node } = frame;
    for (const selection of frame.set.selections) {
      meter.steps += 1;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        node.children ??= new Map();
        let child = node.children.get(key);
        if (child === undefined) {
          child = { count: 0, children: undefined };
          node.children.set(key, child);
        }
        pairs += child.count;
        child.count += 1;
        if (selection.selectionSet !== undefined) stack.push({ set: selection.selectionSet, node: child });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        stack.push({ set: selection.selectionSet, node });
      } else {
        stack.push({ set: fragments.get(selection.name.value)!.selectionSet, node });
      }
    }
  }
  return pairs;
}

/**
 * The first limit the document exceeds, or null. Aliases are counted as written (a fragment's
 * once, however often it is spread); the inlined size and same-path pairs count spreads with
 * their multiplicity, so a fragment spread twice at every level (the "fragment bomb") is
 * refused here rather than expanded by anyone downstream.
 */
export function measureDocument(document: DocumentNode, limits: CostLimits, meter: Meter = { steps: 0 }): CostRefusal | null {
  const graph = readFragmentGraph(document, meter);
  if ('refusal' in graph) return { code: 'GRAPHQL_VALIDATION_FAILED', message: graph.refusal };
  const { operations, fragments, order } = graph;
  let aliases = 0;
  for (const definition of [...operations, ...fragments.values()]) aliases += definition.aliases;
  if (aliases > limits.maxAliases) {
    return { code: 'QUERY_TOO_COMPLEX', message: `The document has ${aliases} aliased fields; the limit is ${limits.maxAliases}.` };
  }
  // Each fragment once, after the fragments it spreads: its depth and its inlined size (a
  // spread inlines the whole fragment wherever it sits), saturated just above the cap.
  const cap = limits.maxExpandedSelections;
  const depthOf = new Map<string, number>();
  const sizeOf = new Map<string, number>();
  const measure = (definition: Definition): { depth: number; size: number } => {
    let depth = definition.depth;
    let size = definition.selections;
    for (const spread of definition.spreads) {
      meter.steps += 1;
      if (spread.depth >= 0) depth = Math.max(depth, spread.depth + depthOf.get(spread.name)!);
      size = Math.min(size + sizeOf.get(spread.name)!, cap + 1);
    }
    return { depth, size };
  };
  for (const name of order) {
    const { depth, size } = measure(fragments.get(name)!);
    depthOf.set(name, depth);
    sizeOf.set(name, size);
  }
  let size = 0;
  for (const operation of operations) {
    const measured = measure(operation);
    if (measured.depth > limits.maxDepth) {
      return { code: 'QUERY_TOO_DEEP', message: `The operation is nested ${measured.depth} levels deep; the limit is ${limits.maxDepth}.` };
    }
    size += measured.size;
  }
  if (size > cap) {
    return { code: 'QUERY_TOO_COMPLEX', message: `With its fragments inlined, the document holds more than ${cap} selections.` };
  }
  let pairs = 0;
  for (const operation of operations) {
    pairs += samePathPairs(operation.selectionSet, fragments, limits.maxSamePathPairs - pairs, meter);
    if (pairs > limits.maxSamePathPairs) {
      return {
        code: 'QUERY_TOO_COMPLEX',
        message: `The document selects the same response field too many times (more than ${limits.maxSamePathPairs} pairs to merge).`,
      };
    }
  }
  return null;
}
