// The router's entity fetch, answered without a general executor.
//
// A router resolves references to this subgraph's entities with one operation shape, hundreds
// of representations at a time:
//   query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id name } } }
// Compiled by graphql-jit, each entity still costs a resolve-info object and a path for the
// `_Entity` union's type resolution, closures, and location arrays for every leaf; here it
// costs its resolveReference and one object.
//
// A plan exists only for that shape (planEntityFetch returns null for anything else):
// - a query whose one root field is `_entities` (any alias), its representations the
//   operation's one variable, of type `[_Any!]!` without a default;
// - under it, `__typename` and inline fragments on entity types, holding only `__typename` and
//   leaf fields without arguments whose resolvers, if any, take no resolve info;
// - no directive anywhere, no fragment spread.
// A plan answers the clean case only: every entity resolved or null, every leaf serialized,
// no non-null leaf null. Anything else (an error, which must be reported with its path and
// location) returns undefined and the general executor answers the request from the start:
// the resolvers only read, through this request's loaders.
import {
  getNamedType,
  getOperationAST,
  isLeafType,
  isNonNullType,
  isObjectType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type SelectionSetNode,
  type TypeNode,
} from 'graphql';
import { entityResolutionOf, type ResolvedRepresentations } from './entities.js';

type InfoFreeResolver = (source: unknown, args: Record<string, never>, context: unknown) => unknown;

interface Leaf {
  responseKey: string;
  /** `__typename`: the entity's type name. */
  isTypename: boolean;
  fieldName: string;
  resolve: InfoFreeResolver | undefined;
  serialize: (value: unknown) => unknown;
  nonNull: boolean;
}

export interface EntityFetchPlan {
  /** The result, or undefined when the general executor must answer (see the module comment). */
  run(variables: Record<string, unknown>, context: unknown): ExecutionResult | undefined | Promise<ExecutionResult | undefined>;
}

// graphql-js hands every resolver of a field without arguments a fresh empty object; ours never
// write to it.
const NO_ARGUMENTS: Record<string, never> = Object.freeze({});
const NO_LEAVES: readonly Leaf[] = [];

/** `[_Any!]!` */
function isRepresentationsType(type: TypeNode): boolean {
  if (type.kind !== Kind.NON_NULL_TYPE || type.type.kind !== Kind.LIST_TYPE) return false;
  const item = type.type.type;
  return item.kind === Kind.NON_NULL_TYPE && item.type.kind === Kind.NAMED_TYPE && item.type.name.value === '_Any';
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Each entity type's leaves in response order (graphql's field collection: first occurrence wins), or null if the selection is not plain. */
function leavesByType(schema: GraphQLSchema, selectionSet: SelectionSetNode, entityTypes: readonly string[]): Map<string, Leaf[]> | null {
  const byType = new Map<string, Leaf[]>(entityTypes.map((name) => [name, []]));
  const add = (typename: string, leaf: Leaf) => {
    const leaves = byType.get(typename)!;
    if (!leaves.some((existing) => existing.responseKey === leaf.responseKey)) leaves.push(leaf);
  };
  const typenameLeaf = (responseKey: string): Leaf => ({
    responseKey,
    isTypename: true,
    fieldName: '__typename',
    resolve: undefined,
    serialize: (value) => value,
    nonNull: true,
  });
  for (const selection of selectionSet.selections) {
    if (selection.directives?.length) return null;
    if (selection.kind === Kind.FIELD) {
      // On the union itself, only `__typename` can be selected.
      if (selection.name.value !== '__typename') return null;
      const responseKey = selection.alias?.value ?? '__typename';
      for (const typename of entityTypes) add(typename, typenameLeaf(responseKey));
      continue;
    }
    if (selection.kind !== Kind.INLINE_FRAGMENT || selection.typeCondition === undefined) return null;
    const type = schema.getType(selection.typeCondition.name.value);
    if (!isObjectType(type) || !byType.has(type.name)) return null;
    for (const inner of selection.selectionSet.selections) {
      if (inner.kind !== Kind.FIELD || inner.directives?.length || inner.arguments?.length || inner.selectionSet !== undefined) return null;
      const responseKey = inner.alias?.value ?? inner.name.value;
      if (inner.name.value === '__typename') {
        add(type.name, typenameLeaf(responseKey));
        continue;
      }
      const field = type.getFields()[inner.name.value];
      if (field === undefined || field.args.length > 0) return null;
      const leafType = getNamedType(field.type);
      if (!isLeafType(leafType)) return null;
      // A resolver that takes a resolve info (a fourth parameter) needs the general executor.
      if (field.resolve !== undefined && field.resolve.length > 3) return null;
      add(type.name, {
        responseKey,
        isTypename: false,
        fieldName: field.name,
        resolve: field.resolve as InfoFreeResolver | undefined,
        serialize: (value) => leafType.serialize(value),
        nonNull: isNonNullType(field.type),
      });
    }
  }
  return byType;
}

/** The plan for an operation of the entity-fetch shape, or null (see the module comment). */
export function planEntityFetch(schema: GraphQLSchema, document: DocumentNode, operationName: string | null): EntityFetchPlan | null {
  const resolution = entityResolutionOf(schema);
  const entitiesField = schema.getQueryType()?.getFields()['_entities'];
  if (resolution === undefined || !resolution.resolvableWithoutInfo || entitiesField === undefined) return null;
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation !== 'query' || operation.directives?.length) return null;
  const variables = operation.variableDefinitions ?? [];
  if (variables.length !== 1) return null;
  const variable = variables[0]!;
  if (variable.defaultValue !== undefined || variable.directives?.length || !isRepresentationsType(variable.type)) return null;
  const [root, ...others] = operation.selectionSet.selections;
  if (root === undefined || others.length > 0 || root.kind !== Kind.FIELD || root.name.value !== '_entities') return null;
  if (root.directives?.length || root.selectionSet === undefined) return null;
  const argument = root.arguments?.length === 1 ? root.arguments[0]! : undefined;
  if (argument?.name.value !== 'representations' || argument.value.kind !== Kind.VARIABLE || argument.value.name.value !== variable.variable.name.value) {
    return null;
  }
  const leaves = leavesByType(schema, root.selectionSet, [...resolution.resolvers.keys()]);
  if (leaves === null) return null;

  const responseKey = root.alias?.value ?? '_entities';
  const variableName = variable.variable.name.value;

  /** The entity's answer, or undefined when it cannot be answered cleanly; its pending leaves are pushed to `pending`. */
  function completed(entity: unknown, typename: string, context: unknown, pending: Promise<boolean>[]): Record<string, unknown> | undefined {
    if (typeof entity !== 'object' || entity instanceof Error) return undefined;
    const answer: Record<string, unknown> = {};
    for (const leaf of leaves!.get(typename) ?? NO_LEAVES) {
      if (leaf.isTypename) {
        answer[leaf.responseKey] = typename;
        continue;
      }
      let value: unknown;
      if (leaf.resolve === undefined) {
        value = (entity as Record<string, unknown>)[leaf.fieldName];
        // graphql's default resolver calls a method of that name: the general executor does.
        if (typeof value === 'function') return undefined;
      } else {
        try {
          value = leaf.resolve(entity, NO_ARGUMENTS, context);
        } catch {
          return undefined;
        }
      }
      if (isPromiseLike(value)) {
        answer[leaf.responseKey] = null;
        pending.push(
          Promise.resolve(value).then(
            (resolved) => settle(answer, leaf, resolved),
            () => false,
          ),
        );
      } else if (!settle(answer, leaf, value)) {
        return undefined;
      }
    }
    return answer;
  }

  /** Sets the leaf's serialized value; false when graphql would report an error there. */
  function settle(answer: Record<string, unknown>, leaf: Leaf, value: unknown): boolean {
    if (value === null || value === undefined) {
      answer[leaf.responseKey] = null;
      return !leaf.nonNull;
    }
    let serialized: unknown;
    try {
      serialized = leaf.serialize(value);
    } catch {
      return false;
    }
    if (serialized === null || serialized === undefined) return false;
    answer[leaf.responseKey] = serialized;
    return true;
  }

  function answered({ values, typenames }: ResolvedRepresentations, context: unknown) {
    const list: unknown[] = new Array(values.length);
    const pending: Promise<boolean>[] = [];
    for (let i = 0; i < values.length; i += 1) {
      const entity = values[i];
      const typename = typenames[i];
      if (entity === null || typename === null) {
        list[i] = null;
        continue;
      }
      const answer = completed(entity, typename!, context, pending);
      if (answer === undefined) return undefined;
      list[i] = answer;
    }
    const result: ExecutionResult = { data: { [responseKey]: list } };
    if (pending.length === 0) return result;
    return Promise.all(pending).then((settled) => (settled.every(Boolean) ? result : undefined));
  }

  return {
    run(variableValues, context) {
      const representations = variableValues[variableName];
      // Variable coercion refuses null items and lists a single value: the general executor does.
      if (!Array.isArray(representations) || representations.some((r) => r === null || r === undefined)) return undefined;
      const resolved = resolution.resolve(representations, context, undefined);
      return resolved instanceof Promise ? resolved.then((r) => answered(r, context)) : answered(resolved, context);
    },
  };
}
