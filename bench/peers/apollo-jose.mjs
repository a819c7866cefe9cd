// A peer of `npm run bench`: what a developer writes by hand with Apollo Server 5 and jose: the
// bearer token verified on every request with `jwtVerify` against the issuer's remote JWKS
// (jose's `createRemoteJWKSet` keeps the keys), `{ viewer { id email } }` answered from its
// claims, no database. Apollo's `startStandaloneServer`, plain Node, NODE_ENV=production, in its
// own process. Environment: PORT, JWT_ISSUER, JWT_AUDIENCE, JWKS_URI. Prints `listening <port>`.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const port = Number(process.env['PORT'] ?? 0);
const issuer = process.env['JWT_ISSUER'];
const audience = process.env['JWT_AUDIENCE'];
const jwks = createRemoteJWKSet(new URL(process.env['JWKS_URI'] ?? ''));
const typeDefs = 'type Query { hello: String viewer: Viewer } type Viewer { id: ID! email: String }';
const resolvers = {
  Query: {
    hello: () => 'world',
    viewer: (_parent, _args, context) => (context.claims === null ? null : { id: context.claims.sub, email: context.claims.email }),
  },
};
const server = new ApolloServer({ typeDefs, resolvers });
const BEARER = /^Bearer (.+)$/i;
const { url } = await startStandaloneServer(server, {
  listen: { port, host: '127.0.0.1' },
  context: async ({ req }) => {
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (match === null) return { claims: null };
    const { payload } = await jwtVerify(match[1], jwks, { issuer, audience });
    return { claims: payload };
  },
});
process.stdout.write(`listening ${new URL(url).port}\n`);
process.on('SIGTERM', () => process.exit(0));
