// A real, certified OpenID Provider (the npm package `oidc-provider`) for tests: the provider's
// existing customer sign-in, which the issuer uses as a relying party. We configure it; we do
// not write it.
//
// Usage: node tests/node/oidc-provider.mjs '<clients JSON>'
//   (or the clients JSON in the environment variable OIDC_CLIENTS)
// where the clients JSON is an array of confidential clients:
//   [{"client_id": "issuer", "client_secret": "…", "redirect_uris": ["http://127.0.0.1:…/cb"]}]
//
// It listens on 127.0.0.1 on a free port (or on OIDC_PORT when set: for a relying party that was
// configured with the provider's address before it started), with the issuer identifier
// http://127.0.0.1:<port>,
// and prints one JSON line once it accepts connections: {"issuer": "http://127.0.0.1:<port>"}.
// Accounts: any login name signs in (any password) and becomes the account's `sub`.
// Sign-in and consent use oidc-provider's own development pages (devInteractions), which the
// Rust harness (crates/idv-test-support/src/oidc_provider.rs) drives over HTTP.
// ID tokens are signed with a fresh ES256 key; PKCE (S256) is required of every client.
// The process exits when its standard input closes (the harness dies) or on SIGTERM.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const clientsJson = process.argv[2] ?? process.env.OIDC_CLIENTS;
if (!clientsJson) {
  console.error('usage: node oidc-provider.mjs <clients JSON> (or OIDC_CLIENTS)');
  process.exit(2);
}
let clients;
try {
  clients = JSON.parse(clientsJson).map((client) => ({
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }));
} catch (e) {
  console.error(`the clients are not a JSON array of clients: ${e.message}`);
  process.exit(2);
}

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: randomBytes(8).toString('hex'),
  use: 'sig',
  alg: 'ES256',
};

const server = createServer();
server.listen(Number(process.env.OIDC_PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    claims: { openid: ['sub'] },
    async findAccount(_ctx, sub) {
      return { accountId: sub, async claims() { return { sub }; } };
    },
  });
  // Protocol errors go to the test's output, never personal data (there is none here).
  provider.on('server_error', (_ctx, error) => console.error(`oidc-provider: ${error}`));
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The harness holds our stdin open; when it goes away, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
