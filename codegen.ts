// graphql-codegen: resolver types for schema.graphql, mapped to the domain types, so a
// resolver returning the wrong shape fails to compile. Regenerate with `npm run codegen`;
// test/codegen.test.ts fails when the committed file is stale.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  generates: {
    'src/graphql/generated/resolvers-types.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useIndexSignature: true,
        useTypeImports: true,
        enumsAsTypes: true,
        contextType: '../context.js#GraphQLContext',
        mappers: {
          User: '../../domain/types.js#User as UserModel',
          Membership: '../../domain/types.js#Membership as MembershipModel',
          Organization: '../../domain/types.js#Organization as OrganizationModel',
          ExternalIdentity: '../../domain/types.js#ExternalIdentity as ExternalIdentityModel',
          OrganizationSso: '../../domain/types.js#OrganizationSso as OrganizationSsoModel',
          AuditEvent: '../../domain/types.js#AuditEvent as AuditEventModel',
          Invitation: '../../domain/types.js#Invitation as InvitationModel',
          ApiKey: '../../domain/types.js#ApiKey as ApiKeyModel',
          Session: '../../domain/types.js#Session as SessionModel',
        },
        scalars: { ID: 'string' },
      },
    },
  },
};

export default config;
