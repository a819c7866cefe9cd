// This service's per-request work inside Apollo, as ONE plugin whose listener is one object
// built at start-up: Apollo calls every hook of every listener on every request (each call a
// promise, each listener one more entry in every hook's Promise.all), so separate plugins, or
// a listener with closures built per request, cost each request for nothing
// (docs/performance.md, "Apollo's hooks"). What each hook does lives with its subject:
// observe.ts (operation name, error code, unexpected errors), errors.ts (request-level
// status), limits.ts (representations), apolloBoundary.ts (recording for the release).
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { Logger } from 'pino';
import type { GraphQLContext } from './context.js';
import { applyRequestLevelFailure } from './errors.js';
import { checkRepresentationLimit } from './limits.js';
import { logUnexpectedErrors, observeOperation, observeResponse } from './observe.js';
import { recordForRelease } from './apolloBoundary.js';

export interface RequestHooksOptions {
  logger: Pick<Logger, 'error'>;
  /** Maximum `_entities` representations per request (TOO_MANY_REPRESENTATIONS). */
  maxEntityRepresentations: number;
  /**
   * No "did you mean" in validation errors (production). Apollo's own option for it
   * (`hideSchemaDetailsFromClientErrors`) installs a plugin of its own that builds a listener
   * per request: the same edit is made here.
   */
  hideSuggestions: boolean;
}

const SUGGESTION = / ?Did you mean(.+?)\?$/;

function withoutSuggestions(errors?: readonly Error[]): void {
  if (errors === undefined) return;
  for (const error of errors) error.message = error.message.replace(SUGGESTION, '');
}

export function createRequestHooksPlugin(options: RequestHooksOptions): ApolloServerPlugin<GraphQLContext> {
  const { logger, maxEntityRepresentations } = options;
  // Built once: every request gets this very object (no per-request state: what a hook needs
  // it reads from the request context).
  const listener: GraphQLRequestListener<GraphQLContext> = {
    async didResolveOperation(requestContext) {
      observeOperation(requestContext);
      checkRepresentationLimit(maxEntityRepresentations, requestContext);
    },
    async didEncounterErrors(requestContext) {
      logUnexpectedErrors(logger, requestContext);
    },
    async willSendResponse(requestContext) {
      applyRequestLevelFailure(requestContext);
      observeResponse(requestContext);
    },
    ...(options.hideSuggestions ? { validationDidStart: async () => async (errors?: readonly Error[]) => withoutSuggestions(errors) } : {}),
  };
  return {
    async requestDidStart(requestContext) {
      recordForRelease(requestContext);
      return listener;
    },
  };
}
