// Two subgraphs behind a gateway, as the federation suites run them end to end: this service over
// HTTP (behind SUBGRAPH_SECRET, trusting a loopback issuer as `auth0`) and the sample workflows
// subgraph; the gateway in front is each suite's own. Registers the file's beforeAll/afterAll.
import { afterAll, beforeAll } from 'vitest';
import type { QueryObserver } from '../../src/db/queryable.js';
import type { TestDatabase } from './database.js';
import { issuerConfig, type TestIssuer } from './issuer.js';
import { useTestBed, type TestBedOptions } from './testBed.js';
import { startWorkflowsSubgraph, type WorkflowsSubgraph } from './workflows.js';

export interface Subgraphs {
  issuer: TestIssuer;
  /** This service's GraphQL endpoint. */
  identityUrl: string;
  workflows: WorkflowsSubgraph;
}

export interface StartedGateway {
  /** Where clients POST their queries. */
  url: string;
  close(): Promise<void>;
}

export interface SupergraphOptions {
  /** SUBGRAPH_SECRET of this service: the gateway must send it. */
  secret: string;
  issuer?: TestBedOptions['issuer'];
  /** Every statement this service's database runs. */
  onQuery?: QueryObserver;
  startGateway(subgraphs: Subgraphs): Promise<StartedGateway>;
}

export interface GatewayAnswer<T> {
  status: number;
  body: { data?: T; errors?: { message: string; extensions?: Record<string, any> }[] };
}

export interface Supergraph extends Subgraphs {
  /** Filled in beforeAll, as the other members. */
  readonly database: TestDatabase;
  /** POSTs `text` to the gateway, with `token` as the bearer when given. */
  query<T = any>(text: string, token?: string): Promise<GatewayAnswer<T>>;
}

/** Registers the hooks; call it at the top of a test file. */
export function useSupergraph(options: SupergraphOptions): Supergraph {
  const bed = useTestBed({ issuer: options.issuer, database: { onQuery: options.onQuery } });
  let workflows: WorkflowsSubgraph | undefined;
  let identityUrl = '';
  let gateway: StartedGateway | undefined;
  beforeAll(async () => {
    const identity = await bed.start({ issuers: [issuerConfig(bed.issuer, { name: 'auth0', kind: 'auth0' })], config: { subgraphSecret: options.secret } });
    workflows = await startWorkflowsSubgraph();
    identityUrl = `${identity.url}/graphql`;
    gateway = await options.startGateway({ issuer: bed.issuer, identityUrl, workflows });
  });
  // Before the test bed's own (this service, its database, the issuer).
  afterAll(async () => {
    await gateway?.close();
    await workflows?.close();
  });
  return {
    get issuer() {
      return bed.issuer;
    },
    get database() {
      return bed.database;
    },
    get workflows() {
      return workflows!;
    },
    get identityUrl() {
      return identityUrl;
    },
    async query<T = any>(text: string, token?: string): Promise<GatewayAnswer<T>> {
      const response = await fetch(gateway!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
        body: JSON.stringify({ query: text }),
      });
      return { status: response.status, body: (await response.json()) as GatewayAnswer<T>['body'] };
    },
  };
}
