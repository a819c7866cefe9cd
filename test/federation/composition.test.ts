// schema.graphql composes into a supergraph with another team's subgraph, without errors and
// without hints that signal a mistake; the router-facing authorization directives survive
// composition on the fields that need them.
import { Kind, parse, type DirectiveNode, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  COMMENTS_TYPE_DEFS,
  composeSupergraph,
  identitySubgraph,
  MISTAKE_HINT_CODES,
  withoutSecurityDirectives,
  WORKFLOWS_TYPE_DEFS,
} from '../helpers/workflows.js';

const workflows = { name: 'workflows', url: 'http://workflows.invalid/graphql', typeDefs: WORKFLOWS_TYPE_DEFS };

/** Directives on each field of the supergraph, by coordinate (`Type.field`). */
function fieldDirectives(document: DocumentNode): Map<string, readonly DirectiveNode[]> {
  const out = new Map<string, readonly DirectiveNode[]>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    for (const field of definition.fields ?? []) out.set(`${definition.name.value}.${field.name.value}`, field.directives ?? []);
  }
  return out;
}

function has(directives: readonly DirectiveNode[] | undefined, name: string): boolean {
  return (directives ?? []).some((d) => d.name.value === name);
}

function supergraph(...subgraphs: Parameters<typeof composeSupergraph>[0]) {
  const composed = composeSupergraph(subgraphs);
  if (!composed.ok) throw new Error(`composition failed:\n${composed.errors.join('\n')}`);
  return composed;
}

describe('composition with a second subgraph', () => {
  it('composes identity + workflows (User extended with workflows) without errors or mistake hints', () => {
    const composed = supergraph(identitySubgraph(), workflows);
    for (const hint of composed.hints) expect(MISTAKE_HINT_CODES.has(hint.definition.code)).toBe(false);
    const fields = fieldDirectives(parse(composed.supergraphSdl));
    // User is one entity with fields from both subgraphs.
    for (const coordinate of ['User.id', 'User.email', 'User.identities', 'User.workflows', 'Workflow.owner', 'Query.viewer', 'Query.workflows']) {
      expect(fields.has(coordinate), coordinate).toBe(true);
    }
    const joined = (coordinate: string) =>
      (fields.get(coordinate) ?? []).filter((d) => d.name.value === 'join__field').map((d) => d.arguments?.find((a) => a.name.value === 'graph'));
    expect(JSON.stringify(joined('User.workflows'))).toContain('WORKFLOWS');
    expect(JSON.stringify(joined('User.email'))).toContain('IDENTITY');
  });

  it('composes with a subgraph that only references users (resolvable: false)', () => {
    const composed = supergraph(identitySubgraph(), workflows, { name: 'comments', url: 'http://comments.invalid/graphql', typeDefs: COMMENTS_TYPE_DEFS });
    expect(fieldDirectives(parse(composed.supergraphSdl)).has('Comment.author')).toBe(true);
  });

  it('keeps @authenticated / @requiresScopes on the fields that need them', () => {
    const fields = fieldDirectives(parse(supergraph(identitySubgraph(), workflows).supergraphSdl));
    const authenticated = [
      'User.identities',
      'Organization.sso',
      'Organization.auditEvents',
      'Query.organization',
      'Mutation.ensureUser',
      'Mutation.createOrganization',
      'Mutation.inviteMember',
      'Mutation.acceptInvitation',
      'Mutation.declineInvitation',
      'Mutation.revokeInvitation',
      'Organization.invitations',
      'User.invitations',
      'Mutation.updateMemberRole',
      'Mutation.removeMember',
    ];
    for (const coordinate of authenticated) expect(has(fields.get(coordinate), 'authenticated'), coordinate).toBe(true);
    for (const coordinate of ['Mutation.setOrganizationSso', 'Mutation.addMember']) {
      const scoped = fields.get(coordinate)?.find((d) => d.name.value === 'requiresScopes');
      expect(scoped, `${coordinate} @requiresScopes`).toBeDefined();
      expect(JSON.stringify(scoped!.arguments)).toContain('organizations:admin');
    }
    // Public or null-for-strangers fields stay open: the subgraph answers null / [] itself.
    for (const coordinate of ['Query.viewer', 'Query.authDiscovery', 'User.id', 'User.email', 'User.name']) {
      expect(has(fields.get(coordinate), 'authenticated'), coordinate).toBe(false);
    }
  });

  it('has a Gateway variant: the same supergraph minus the SECURITY features Gateway refuses', () => {
    const full = supergraph(identitySubgraph(), workflows).supergraphSdl;
    expect(full).toMatch(/specs\.apollo\.dev\/authenticated\/v0\.1", for: SECURITY/);
    const identity = identitySubgraph();
    const forGateway = supergraph({ ...identity, typeDefs: withoutSecurityDirectives(identity.typeDefs) }, workflows).supergraphSdl;
    expect(forGateway).not.toMatch(/for: SECURITY/);
    expect(fieldDirectives(parse(forGateway)).has('User.workflows')).toBe(true);
  });

  it('treats a hint that signals a mistake as a failure (User.id nullable in the other subgraph)', () => {
    const sloppy = { ...workflows, typeDefs: WORKFLOWS_TYPE_DEFS.replace('type User @key(fields: "id") {\n    id: ID!', 'type User @key(fields: "id") {\n    id: ID') };
    expect(sloppy.typeDefs).not.toBe(WORKFLOWS_TYPE_DEFS);
    const composed = composeSupergraph([identitySubgraph(), sloppy]);
    expect(composed.ok).toBe(false);
    expect(composed.mistakes.map((h) => h.definition.code)).toContain('INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE');
  });

  it('fails on a composition error (another subgraph redefining User.email without @shareable)', () => {
    const clash = { ...workflows, typeDefs: WORKFLOWS_TYPE_DEFS.replace('id: ID!\n    workflows: [Workflow!]!', 'id: ID!\n    workflows: [Workflow!]!\n    email: String') };
    expect(clash.typeDefs).not.toBe(WORKFLOWS_TYPE_DEFS);
    const composed = composeSupergraph([identitySubgraph(), clash]);
    expect(composed.ok).toBe(false);
    if (!composed.ok) expect(composed.errors.join('\n')).toMatch(/email/);
  });
});
