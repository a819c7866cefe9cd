// Apollo Server for the subgraph schema, configured for development or production.
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { Logger } from 'pino';
import type { GraphQLContext } from './context.js';
import { createFormatError } from './errors.js';
import { createExecutionGateway, verifyApolloReliances } from './apolloBoundary.js';
import { createCompilingExecutor, type ExecutionMode } from './executor.js';
import type { DocumentLimits } from './documentGuard.js';
import { createDocumentLimitsRule } from './limits.js';
import { createRequestHooksPlugin } from './requestHooks.js';
import { createSubgraphSchema } from './schema.js';

export interface GraphQLServerOptions {
  production: boolean;
  logger: Logger;
  /** See Config.routerAuthorizationDirectives. */
  authorizationDirectives: boolean;
  /** Tokens, depth, aliases (QUERY_TOO_COMPLEX, QUERY_TOO_DEEP): documentGuard.ts. */
  documentLimits: DocumentLimits;
  /** Maximum `_entities` representations per request (TOO_MANY_REPRESENTATIONS). */
  maxEntityRepresentations: number;
  /** The execution at which an operation is compiled (executor.ts); 0: never. */
  compileOperationsAfter: number;
  /** Told of every execution, by mode (metrics). */
  onExecution?: (mode: ExecutionMode) => void;
  plugins?: ApolloServerPlugin<GraphQLContext>[];
}

/**
 * The server, started, once every reliance on Apollo's internals is known to hold.
 * @throws ApolloRelianceError naming one that does not (apolloBoundary.ts).
 */
export async function startGraphQLServer(options: GraphQLServerOptions): Promise<ApolloServer<GraphQLContext>> {
  await verifyApolloReliances();
  const apollo = createGraphQLServer(options);
  await apollo.start();
  return apollo;
}

export function createGraphQLServer(options: GraphQLServerOptions): ApolloServer<GraphQLContext> {
  const { production, logger } = options;
  const execute = createCompilingExecutor({ compileAfter: options.compileOperationsAfter, onExecution: options.onExecution });
  return new ApolloServer<GraphQLContext>({
    // Apollo's extension point for execution: it still parses, validates and runs the plugins.
    gateway: createExecutionGateway(() => createSubgraphSchema({ authorizationDirectives: options.authorizationDirectives }), execute),
    // Federation's `_service { sdl }` is a field, not introspection: the router keeps it.
    introspection: !production,
    includeStacktraceInErrorResponses: !production,
    // No "did you mean" field suggestions in production: done by the request hooks
    // (requestHooks.ts), as Apollo's own plugin for it costs every request a listener.
    hideSchemaDetailsFromClientErrors: false,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT (drain, close the pool, exit 0); Apollo's own handlers would
    // race it and re-raise the signal (exit 143).
    stopOnTerminationSignals: false,
    // The HTTP edge checks these first (documentGuard.ts); here they hold for every other way in.
    parseOptions: { maxTokens: options.documentLimits.maxTokens },
    validationRules: [createDocumentLimitsRule(options.documentLimits)],
    logger,
    // Unexpected errors are logged with the request id by the observe plugin.
    formatError: createFormatError({ production }),
    plugins: [
      // Nothing here is cacheable (every answer depends on the caller), and the cache-control
      // plugin wraps every field resolution in per-field hooks. The HTTP edge sends
      // `Cache-Control: no-store` on every GraphQL response instead.
      ApolloServerPluginCacheControlDisabled(),
      // Apollo's landing page loads Sandbox and fonts from CDNs: off everywhere. Outside
      // production the HTTP edge serves an offline IDE instead (http/playground.ts).
      ApolloServerPluginLandingPageDisabled(),
      // Everything of ours per request, in one listener: request-level status, the operation's
      // name and error code, the representation limit, the request release's record.
      createRequestHooksPlugin({ logger, maxEntityRepresentations: options.maxEntityRepresentations, hideSuggestions: production }),
      ...(options.plugins ?? []),
    ],
  });
}
