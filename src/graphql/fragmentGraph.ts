// A client's document read once, definition by definition, and its fragments checked as a graph
// before anything follows a spread: every spread names a defined fragment, no fragment reaches
// itself, every fragment is used and each name is defined once (graphql-js's KnownFragmentNames,
// NoFragmentCycles, NoUnusedFragments and UniqueFragmentNames). Time linear in the document's
// size; no recursion, so no nesting can exhaust the stack.
import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';

/** A spread as written, and the field depth it sits at in its definition. */
export interface Spread {
  name: string;
  /** Fields above it in its definition; -1 under an introspection field (not counted in depth). */
  depth: number;
}

/** What one operation or fragment holds as written, spreads not followed. */
export interface Definition {
  selectionSet: SelectionSetNode;
  /** Fields, spreads and inline fragments written in it. */
  selections: number;
  /** Aliased fields written in it. */
  aliases: number;
  /** Deepest field nesting written in it (introspection fields not counted). */
  depth: number;
  spreads: Spread[];
}

export interface FragmentGraph {
  operations: Definition[];
  fragments: Map<string, Definition>;
  /** Fragment names, each after every fragment it spreads. */
  order: string[];
}

/** Introspection fields (`__schema`, `__type`) are not counted in depth: tools' introspection query is deep by nature. */
function isIntrospection(name: string): boolean {
  return name.startsWith('__') && name !== '__typename';
}

/** One pass over a definition's selections, iterative; `steps` counts each selection visited. */
function readDefinition(selectionSet: SelectionSetNode, meter: { steps: number }): Definition {
  const definition: Definition = { selectionSet, selections: 0, aliases: 0, depth: 0, spreads: [] };
  // Depth -1: below an introspection field, where nothing counts.
  const stack: { set: SelectionSetNode; depth: number }[] = [{ set: selectionSet, depth: 0 }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    for (const selection of frame.set.selections) {
      meter.steps += 1;
      definition.selections += 1;
      if (selection.kind === Kind.FIELD) {
        if (selection.alias !== undefined) definition.aliases += 1;
        const depth = frame.depth < 0 || isIntrospection(selection.name.value) ? -1 : frame.depth + 1;
        if (depth > definition.depth) definition.depth = depth;
        if (selection.selectionSet !== undefined) stack.push({ set: selection.selectionSet, depth });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        stack.push({ set: selection.selectionSet, depth: frame.depth });
      } else {
        definition.spreads.push({ name: selection.name.value, depth: frame.depth });
      }
    }
  }
  return definition;
}

/** The graph, or the first rule the document breaks (a message in graphql-js's words). */
export function readFragmentGraph(document: DocumentNode, meter: { steps: number } = { steps: 0 }): FragmentGraph | { refusal: string } {
  const operations: Definition[] = [];
  const fragments = new Map<string, Definition>();
  for (const node of document.definitions) {
    if (node.kind === Kind.OPERATION_DEFINITION) operations.push(readDefinition(node.selectionSet, meter));
    else if (node.kind === Kind.FRAGMENT_DEFINITION) {
      if (fragments.has(node.name.value)) return { refusal: `There can be only one fragment named "${node.name.value}".` };
      fragments.set(node.name.value, readDefinition(node.selectionSet, meter));
    }
  }
  for (const definition of [...operations, ...fragments.values()]) {
    for (const spread of definition.spreads) {
      if (!fragments.has(spread.name)) return { refusal: `Unknown fragment "${spread.name}".` };
    }
  }
  // Depth-first from the operations, iterative: a spread of a fragment still open is a cycle;
  // a fragment closes after everything it spreads, which gives the order.
  const state = new Map<string, 'open' | 'closed'>();
  const order: string[] = [];
  const stack: { name: string; next: number }[] = [];
  const roots = operations.flatMap((operation) => operation.spreads);
  for (const root of roots) {
    if (state.has(root.name)) continue;
    state.set(root.name, 'open');
    stack.push({ name: root.name, next: 0 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const spreads = fragments.get(top.name)!.spreads;
      if (top.next === spreads.length) {
        state.set(top.name, 'closed');
        order.push(top.name);
        stack.pop();
        continue;
      }
      const name = spreads[top.next]!.name;
      top.next += 1;
      meter.steps += 1;
      const seen = state.get(name);
      if (seen === 'open') return { refusal: `Cannot spread fragment "${name}" within itself.` };
      if (seen === undefined) {
        state.set(name, 'open');
        stack.push({ name, next: 0 });
      }
    }
  }
  for (const name of fragments.keys()) {
    if (!state.has(name)) return { refusal: `Fragment "${name}" is never used.` };
  }
  return { operations, fragments, order };
}
