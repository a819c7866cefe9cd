// What a client's document would cost, measured in time linear in its size: each fragment is
// measured once (memoized), however often it is spread. A fragment cycle or an unknown
// fragment counts as nothing here: validation refuses both on its own.
import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

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
  | { code: 'QUERY_TOO_DEEP'; message: string }
  | { code: 'QUERY_TOO_COMPLEX'; message: string };

/** Introspection fields (`__schema`, `__type`) are not counted in depth: tools' introspection query is deep by nature. */
function isIntrospection(name: string): boolean {
  return name.startsWith('__') && name !== '__typename';
}

/**
 * Per-fragment memos for depth and inlined size. `undefined`: not measured yet; `null`:
 * being measured (a cycle reads as 0).
 */
class FragmentMemo {
  readonly #fragments = new Map<string, FragmentDefinitionNode>();
  readonly #depth = new Map<string, number | null>();
  readonly #size = new Map<string, number | null>();
  readonly #cap: number;

  constructor(document: DocumentNode, cap: number) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.#fragments.set(definition.name.value, definition);
    }
    this.#cap = cap;
  }

  get fragments(): ReadonlyMap<string, FragmentDefinitionNode> {
    return this.#fragments;
  }

  /** Whether the fragment was reached while measuring. */
  measured(name: string): boolean {
    return this.#size.has(name);
  }

  depth(set: SelectionSetNode | undefined): number {
    if (set === undefined) return 0;
    let deepest = 0;
    for (const selection of set.selections) {
      let depth: number;
      if (selection.kind === Kind.FIELD) {
        if (isIntrospection(selection.name.value)) continue;
        depth = 1 + this.depth(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        depth = this.depth(selection.selectionSet);
      } else {
        depth = this.#memo(this.#depth, selection.name.value, (fragment) => this.depth(fragment.selectionSet));
      }
      if (depth > deepest) deepest = depth;
    }
    return deepest;
  }

  /**
   * Selections (fields, spreads, inline fragments) with every spread inlined (spreads
   * multiply), saturated just above the cap.
   */
  size(set: SelectionSetNode | undefined): number {
    if (set === undefined) return 0;
    let total = 0;
    for (const selection of set.selections) {
      total += 1;
      if (selection.kind !== Kind.FRAGMENT_SPREAD) total += this.size(selection.selectionSet);
      else total += this.#memo(this.#size, selection.name.value, (fragment) => this.size(fragment.selectionSet));
      if (total > this.#cap) return this.#cap + 1;
    }
    return total;
  }

  #memo(memo: Map<string, number | null>, name: string, measure: (fragment: FragmentDefinitionNode) => number): number {
    const known = memo.get(name);
    if (known !== undefined) return known ?? 0;
    const fragment = this.#fragments.get(name);
    if (fragment === undefined) return 0;
    memo.set(name, null);
    const value = measure(fragment);
    memo.set(name, value);
    return value;
  }
}

interface PathNode {
  count: number;
  children: Map<string, PathNode> | undefined;
}

/**
 * Pairs of fields answering at the same response path, fragments inlined: what graphql-js's
 * OverlappingFieldsCanBeMerged compares (its cost grows with the square of same-named
 * fields). Only called once the inlined size is known to be within its cap; stops counting
 * past `limit`.
 */
function samePathPairs(set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, limit: number): number {
  let pairs = 0;
  const inlining = new Set<string>();
  const walk = (selections: SelectionSetNode, node: PathNode): void => {
    for (const selection of selections.selections) {
      if (pairs > limit) return;
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
        if (selection.selectionSet !== undefined) walk(selection.selectionSet, child);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, node);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment === undefined || inlining.has(fragment.name.value)) continue;
        inlining.add(fragment.name.value);
        walk(fragment.selectionSet, node);
        inlining.delete(fragment.name.value);
      }
    }
  };
  walk(set, { count: 1, children: undefined });
  return pairs;
}

function countAliases(document: DocumentNode): number {
  let aliases = 0;
  const walk = (set: SelectionSetNode | undefined): void => {
    if (set === undefined) return;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias !== undefined) aliases += 1;
        walk(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
      }
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) walk(definition.selectionSet);
  }
  return aliases;
}

/**
 * The first limit the document exceeds, or null. Aliases are counted as written (a fragment's
 * once, however often it is spread); the inlined size and same-path pairs count spreads with
 * their multiplicity, so a fragment spread twice at every level (the "fragment bomb") is
 * refused here rather than expanded by anyone downstream. Fragments no operation uses are
 * measured as roots of their own (validation still walks them).
 */
export function measureDocument(document: DocumentNode, limits: CostLimits): CostRefusal | null {
  const aliases = countAliases(document);
  if (aliases > limits.maxAliases) {
    return { code: 'QUERY_TOO_COMPLEX', message: `The document has ${aliases} aliased fields; the limit is ${limits.maxAliases}.` };
  }
  const memo = new FragmentMemo(document, limits.maxExpandedSelections);
  const roots: SelectionSetNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const depth = memo.depth(definition.selectionSet);
    if (depth > limits.maxDepth) {
      return { code: 'QUERY_TOO_DEEP', message: `The operation is nested ${depth} levels deep; the limit is ${limits.maxDepth}.` };
    }
    roots.push(definition.selectionSet);
  }
  let size = 0;
  for (const root of roots) size += memo.size(root);
  for (const [name, fragment] of memo.fragments) {
    if (!memo.measured(name)) {
      roots.push(fragment.selectionSet);
      size += memo.size(fragment.selectionSet);
    }
    if (size > limits.maxExpandedSelections) break;
  }
  if (size > limits.maxExpandedSelections) {
    return {
      code: 'QUERY_TOO_COMPLEX',
      message: `With its fragments inlined, the document holds more than ${limits.maxExpandedSelections} selections.`,
    };
  }
  let pairs = 0;
  for (const root of roots) {
    pairs += samePathPairs(root, memo.fragments, limits.maxSamePathPairs - pairs);
    if (pairs > limits.maxSamePathPairs) {
      return {
        code: 'QUERY_TOO_COMPLEX',
        message: `The document selects the same response field too many times (more than ${limits.maxSamePathPairs} pairs to merge).`,
      };
    }
  }
  return null;
}
