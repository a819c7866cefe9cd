// A sample second subgraph, `workflows`, as another team would write it: it owns Workflow,
// adds User.workflows to the identity subgraph's User, and points back at users by id only.
// Also the composition of it with schema.graphql into a supergraph, with hint checks.
import { composeServices, type CompositionSuccess } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Kind, parse, print, visit } from 'graphql';
import { readTypeDefs } from '../../src/graphql/schema.js';

export const WORKFLOWS_TYPE_DEFS = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

  type Query {
    workflows: [Workflow!]!
  }

  type User @key(fields: "id") {
    id: ID!
    workflows: [Workflow!]!
  }

  type Workflow @key(fields: "id") {
    id: ID!
    title: String!
    owner: User!
  }
`;

/** A subgraph that only references users (it adds no User field): `resolvable: false`. */
export const COMMENTS_TYPE_DEFS = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

  type Query {
    comments: [Comment!]!
  }

  type Comment @key(fields: "id") {
    id: ID!
    body: String!
    author: User!
  }

  type User @key(fields: "id", resolvable: false) {
    id: ID!
  }
`;

/**
 * Composition hints that signal a mistake in one of the subgraphs, so they fail the build like
 * errors: a type that is an entity in one subgraph only, fields or arguments whose types,
 * presence or enum values disagree, a subgraph on an older federation version, leftovers of
 * @override. Anything else (differing descriptions, directive-merging information) is benign.
 */
export const MISTAKE_HINT_CODES: ReadonlySet<string> = new Set([
  'INCONSISTENT_ENTITY',
  'INCONSISTENT_OBJECT_VALUE_TYPE_FIELD',
  'INCONSISTENT_INTERFACE_VALUE_TYPE_FIELD',
  'INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE',
  'INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE',
  'INCONSISTENT_ARGUMENT_PRESENCE',
  'INCONSISTENT_DEFAULT_VALUE_PRESENCE',
  'INCONSISTENT_INPUT_OBJECT_FIELD',
  'INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM',
  'INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM',
  'INCONSISTENT_UNION_MEMBER',
  'INCONSISTENT_RUNTIME_TYPES_FOR_SHAREABLE_RETURN',
  'INCONSISTENT_NON_REPEATABLE_DIRECTIVE_ARGUMENTS',
  'INCONSISTENT_TYPE_SYSTEM_DIRECTIVE_LOCATIONS',
  'INCONSISTENT_TYPE_SYSTEM_DIRECTIVE_REPEATABLE',
  'IMPLICITLY_UPGRADED_FEDERATION_VERSION',
  'FROM_SUBGRAPH_DOES_NOT_EXIST',
  'OVERRIDDEN_FIELD_CAN_BE_REMOVED',
  'OVERRIDE_DIRECTIVE_CAN_BE_REMOVED',
  'OVERRIDE_MIGRATION_IN_PROGRESS',
  'CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS',
  'DIRECTIVE_COMPOSITION_WARN',
  'UNUSED_ENUM_TYPE',
]);

export interface SubgraphDefinition {
  name: string;
  url: string;
  typeDefs: string;
}

type CompositionHint = CompositionSuccess['hints'][number];

export type Composed =
  | { ok: true; supergraphSdl: string; hints: CompositionHint[]; mistakes: CompositionHint[] }
  | { ok: false; errors: string[]; mistakes: CompositionHint[] };

/** Composes subgraphs; `ok` only without errors and without any mistake hint. */
export function composeSupergraph(subgraphs: SubgraphDefinition[]): Composed {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.typeDefs) })));
  if (result.errors) return { ok: false, errors: result.errors.map((e) => e.message), mistakes: [] };
  const mistakes = result.hints.filter((hint) => MISTAKE_HINT_CODES.has(hint.definition.code));
  if (mistakes.length > 0) return { ok: false, errors: mistakes.map((h) => `${h.definition.code}: ${h.message}`), mistakes };
  return { ok: true, supergraphSdl: result.supergraphSdl, hints: result.hints, mistakes };
}

export function identitySubgraph(url = 'http://identity.invalid/graphql'): SubgraphDefinition {
  return { name: 'identity', url, typeDefs: readTypeDefs() };
}

/** Re-exported for the suites: the product's own stripping (src/graphql/schema.ts). */
export { withoutAuthorizationDirectives as withoutSecurityDirectives } from '../../src/graphql/schema.js';

export interface Workflow {
  id: string;
  title: string;
  ownerId: string;
}

export interface WorkflowsSubgraph {
  url: string;
  workflows: Workflow[];
  /** Authorization header of each request it received (the gateway must forward it). */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/** Runs the workflows subgraph over HTTP on loopback (@apollo/server's standalone server). */
export async function startWorkflowsSubgraph(): Promise<WorkflowsSubgraph> {
  const workflows: Workflow[] = [];
  const authorizations: (string | undefined)[] = [];
  const resolvers = {
    Query: { workflows: () => workflows },
    User: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      workflows: (user: { id: string }) => workflows.filter((w) => w.ownerId === user.id),
    },
    Workflow: {
      __resolveReference: (ref: { id: string }) => workflows.find((w) => w.id === ref.id) ?? null,
      // Only the id crosses the boundary: the identity subgraph resolves the rest via _entities.
      owner: (workflow: Workflow) => ({ __typename: 'User', id: workflow.ownerId }),
    },
  };
  const apollo = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(WORKFLOWS_TYPE_DEFS), resolvers: resolvers as never }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(apollo, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => {
      authorizations.push(req.headers.authorization);
      return {};
    },
  });
  return { url, workflows, authorizations, close: () => apollo.stop() };
}
