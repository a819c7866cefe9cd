// The peer of `npm run bench`: a bare Apollo Server 5 answering `{ hello }`, in its own process,
// with plain Node (no TypeScript loader) and NODE_ENV=production. Two HTTP integrations:
// - `standalone` (default): `startStandaloneServer`, Apollo's own server and what "a bare Apollo
//   Server" means in Apollo's getting-started (cors, body-parser, the drain plugin);
// - `http`: a plain node:http handler calling `executeHTTPGraphQLRequest` (no cors, no
//   body-parser, no drain plugin): the least an Apollo Server can cost over HTTP, a stricter bar.
// Plain JavaScript, so that the peer runs exactly as written. Prints `listening <port>` once ready.
import { createServer } from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const mode = process.env['PEER_HTTP'] ?? 'standalone';
const port = Number(process.env['PORT'] ?? 0);
const typeDefs = 'type Query { hello: String }';
const resolvers = { Query: { hello: () => 'world' } };
const server = new ApolloServer({ typeDefs, resolvers });

let listening;
if (mode === 'standalone') {
  const { url } = await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
  listening = Number(new URL(url).port);
} else if (mode === 'http') {
  await server.start();
  const http = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const search = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      let body = text;
      if (/json/i.test(req.headers['content-type'] ?? '')) {
        try {
          body = JSON.parse(text);
        } catch {
          res.writeHead(400).end();
          return;
        }
      }
      server
        .executeHTTPGraphQLRequest({ httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search, body }, context: async () => ({}) })
        .then(async (response) => {
          for (const [key, value] of response.headers) res.setHeader(key, value);
          res.statusCode = response.status ?? 200;
          if (response.body.kind === 'complete') return void res.end(response.body.string);
          for await (const chunk of response.body.asyncIterator) res.write(chunk);
          res.end();
        })
        .catch(() => {
          res.statusCode = 500;
          res.end();
        });
    });
  });
  await new Promise((resolve) => http.listen(port, '127.0.0.1', resolve));
  listening = http.address().port;
} else {
  throw new Error(`PEER_HTTP must be standalone or http, not ${mode}`);
}
process.stdout.write(`listening ${listening}\n`);
process.on('SIGTERM', () => process.exit(0));
