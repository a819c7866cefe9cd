// Apollo Server for the subgraph schema, configured for development or production.
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { Logger } from 'pino';
import type { GraphQLContext } from './context.js';
import { createFormatError, requestLevelErrorPlugin } from './errors.js';
import { createSubgraphSchema } from './schema.js';

export interface GraphQLServerOptions {
  production: boolean;
  logger: Logger;
  /** See Config.routerAuthorizationDirectives. */
  authorizationDirectives: boolean;
  plugins?: ApolloServerPlugin<GraphQLContext>[];
}

export function createGraphQLServer(options: GraphQLServerOptions): ApolloServer<GraphQLContext> {
  const { production, logger } = options;
  return new ApolloServer<GraphQLContext>({
    schema: createSubgraphSchema({ authorizationDirectives: options.authorizationDirectives }),
    // Federation's `_service { sdl }` is a field, not introspection: the router keeps it.
    introspection: !production,
    includeStacktraceInErrorResponses: !production,
    // No "did you mean" field suggestions in production.
    hideSchemaDetailsFromClientErrors: production,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT and drains HTTP first; Apollo's own handlers (on by default
    // outside NODE_ENV=test) raced it and held shutdown for ~10 s.
    stopOnTerminationSignals: false,
    logger,
    formatError: createFormatError({
      production,
      onUnexpected: (error) => logger.error({ err: error }, 'unexpected error in a resolver'),
    }),
    plugins: [
      requestLevelErrorPlugin<GraphQLContext>(),
      production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
      ...(options.plugins ?? []),
    ],
  });
}
