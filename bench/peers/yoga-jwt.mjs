// A peer of `npm run bench`: GraphQL Yoga 5 with its JWT plugin (@graphql-yoga/plugin-jwt), the
// token verified against the issuer's remote JWKS (the plugin's jwks-rsa provider) and
// `{ viewer { id email } }` answered from its payload, no database. node:http, plain Node,
// NODE_ENV=production, no GraphiQL, no landing page, no logging, in its own process.
// Environment: PORT, JWT_ISSUER, JWT_AUDIENCE, JWKS_URI. Prints `listening <port>`.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import { createRemoteJwksSigningKeyProvider, useJWT } from '@graphql-yoga/plugin-jwt';

const port = Number(process.env['PORT'] ?? 0);
const typeDefs = 'type Query { hello: String viewer: Viewer } type Viewer { id: ID! email: String }';
const resolvers = {
  Query: {
    hello: () => 'world',
    viewer: (_parent, _args, context) => {
      const payload = context.jwt?.payload;
      return payload === undefined ? null : { id: payload.sub, email: payload.email };
    },
  },
};
const yoga = createYoga({
  schema: createSchema({ typeDefs, resolvers }),
  graphiql: false,
  landingPage: false,
  logging: false,
  plugins: [
    useJWT({
      signingKeyProviders: [createRemoteJwksSigningKeyProvider({ jwksUri: process.env['JWKS_URI'] ?? '' })],
      tokenVerification: { issuer: process.env['JWT_ISSUER'], audience: process.env['JWT_AUDIENCE'], algorithms: ['RS256'] },
      // Anonymous requests are answered (viewer null), as by the other servers; a bad token is refused.
      reject: { missingToken: false, invalidToken: true },
    }),
  ],
});
const http = createServer(yoga);
await new Promise((resolve) => http.listen(port, '127.0.0.1', resolve));
process.stdout.write(`listening ${http.address().port}\n`);
process.on('SIGTERM', () => process.exit(0));
