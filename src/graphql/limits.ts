// Cost guards on incoming operations: the document's cost limits (a validation rule over
// documentCost.ts) and a maximum number of `_entities` representations (checked once
// variables are known). Both walk the document in time linear in its size.
import type { BaseContext, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import { AppError } from '../errors.js';
import { measureDocument, type CostLimits } from './documentCost.js';

/**
 * Validation rule: the document's cost limits (documentCost.ts), QUERY_TOO_DEEP or
 * QUERY_TOO_COMPLEX (HTTP 400). The HTTP edge checks them before Apollo parses
 * (documentGuard.ts); this rule holds them for every other way in (executeOperation).
 */
export function createDocumentLimitsRule(limits: CostLimits) {
  return (context: ValidationContext): ASTVisitor => ({
    Document(node) {
      const refusal = measureDocument(node, limits);
      // graphql-js's own rules report a fragment cycle, an unknown or unused fragment (the
      // measure refused it before following any spread).
      if (refusal === null || refusal.code === 'GRAPHQL_VALIDATION_FAILED') return;
      const appError = new AppError(refusal.code, { message: refusal.message });
      context.reportError(new GraphQLError(appError.message, { nodes: [node], originalError: appError, extensions: { code: appError.code } }));
    },
  });
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
 * resolver runs. Run in didResolveOperation (requestHooks.ts).
 */
export function checkRepresentationLimit(max: number, { operation, request, document }: GraphQLRequestContextDidResolveOperation<BaseContext>): void {
  if (operation === undefined) return;
  let fragments: Record<string, FragmentDefinitionNode> | undefined;
  let total = 0;
  // Root fields only (`_entities` lives on Query), through fragments spread at the root.
  // Each fragment is counted once, as execution merges its repeated spreads.
  let seen: Set<string> | undefined;
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        fragments ??= fragmentsOf(document);
        const fragment = fragments[selection.name.value];
        seen ??= new Set();
        if (fragment === undefined || seen.has(fragment.name.value)) continue;
        seen.add(fragment.name.value);
        visit(fragment.selectionSet);
      } else if (selection.name.value === '_entities') {
        const argument = selection.arguments?.find((a) => a.name.value === 'representations');
        if (argument !== undefined) total += countRepresentations(argument.value, request.variables);
      }
    }
  };
  visit(operation.selectionSet);
  if (total > max) {
    // Apollo keeps it as originalError; formatError and the request-level failure read it there.
    throw new AppError('TOO_MANY_REPRESENTATIONS', { message: `The request carries ${total} entity representations; the limit is ${max}.` });
  }
}

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  return fragments;
}
