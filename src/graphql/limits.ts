// Cost guards on incoming operations: a maximum selection depth (a validation rule) and a
// maximum number of `_entities` representations (checked once variables are known).
import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import { AppError } from '../errors.js';

/**
 * Depth of the deepest field selection, fragments followed (a fragment cycle is already a
 * validation error of its own). Introspection fields (`__schema`, `__type`) are not counted:
 * tools' introspection query is deep by nature and is turned off in production anyway.
 */
function selectionDepth(
  set: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  visiting: Set<string>,
): number {
  if (set === undefined) return 0;
  let deepest = 0;
  for (const selection of set.selections) {
    let depth = 0;
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      depth = 1 + selectionDepth(selection.selectionSet, fragments, visiting);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      depth = selectionDepth(selection.selectionSet, fragments, visiting);
    } else {
      const name = selection.name.value;
      const fragment = fragments[name];
      if (fragment === undefined || visiting.has(name)) continue;
      visiting.add(name);
      depth = selectionDepth(fragment.selectionSet, fragments, visiting);
      visiting.delete(name);
    }
    if (depth > deepest) deepest = depth;
  }
  return deepest;
}

/** Validation rule: QUERY_TOO_DEEP (HTTP 400) when an operation nests deeper than `maxDepth`. */
export function createDepthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
    }
    return {
      OperationDefinition(node) {
        const depth = selectionDepth(node.selectionSet, fragments, new Set());
        if (depth > maxDepth) {
          const appError = new AppError('QUERY_TOO_DEEP', {
            message: `The operation is nested ${depth} levels deep; the limit is ${maxDepth}.`,
          });
          context.reportError(new GraphQLError(appError.message, { nodes: [node], originalError: appError, extensions: { code: appError.code } }));
        }
      },
    };
  };
}

function countRepresentations(value: ValueNode, variables: Record<string, unknown> | undefined): number {
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) {
    const given = variables?.[value.name.value];
    return Array.isArray(given) ? given.length : given === undefined || given === null ? 0 : 1;
  }
  return 1; // a single value is coerced to a one-element list
}

/**
 * Refuses an operation whose `_entities` calls carry more than `max` representations in total,
 * whether the list is inline or a variable: TOO_MANY_REPRESENTATIONS (HTTP 400), before any
 * resolver runs.
 */
export function createRepresentationLimitPlugin<TContext extends object>(max: number): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request, document }) {
          if (operation === undefined) return;
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const definition of document.definitions) {
            if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
          }
          let total = 0;
          // Root fields only (`_entities` lives on Query), through fragments spread at the root.
          const visit = (set: SelectionSetNode, visiting: Set<string>) => {
            for (const selection of set.selections) {
              if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet, visiting);
              else if (selection.kind === Kind.FRAGMENT_SPREAD) {
                const fragment = fragments[selection.name.value];
                if (fragment === undefined || visiting.has(fragment.name.value)) continue;
                visit(fragment.selectionSet, new Set([...visiting, fragment.name.value]));
              } else if (selection.name.value === '_entities') {
                const argument = selection.arguments?.find((a) => a.name.value === 'representations');
                if (argument !== undefined) total += countRepresentations(argument.value, request.variables);
              }
            }
          };
          visit(operation.selectionSet, new Set());
          if (total > max) {
            // Apollo keeps it as originalError; formatError and the status plugin read it there.
            throw new AppError('TOO_MANY_REPRESENTATIONS', { message: `The request carries ${total} entity representations; the limit is ${max}.` });
          }
        },
      };
    },
  };
}
