// The province's identity service in miniature, for the tests: a real OpenID Provider (oidc-provider)
// on 127.0.0.1, authorization code flow with PKCE, RS256 ID tokens, the portal as its one client.
//
// Started by the tests with its set-up in one environment variable, OP_CONFIG (JSON):
//   {"port": 0, "client_id": "...", "client_secret": "...", "redirect_uris": ["..."],
//    "accounts": {"<login id>": {"claims": {...}, "id_token": "wrong_audience" | "expired"}}}
// It prints one line, {"issuer": "http://127.0.0.1:<port>"}, once it listens.
//
// The sign-in page is a plain form: a person (or a test) types a login id from "accounts". An account with
// "id_token" set gets a broken ID token, signed with the provider's own key so that only the broken claim
// is wrong: "wrong_audience" names another client, "expired" expired ten minutes ago.
import http from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OP_CONFIG || '{}');
const accounts = config.accounts || {};

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'test-op-1', alg: 'RS256', use: 'sig' };

const CLAIMS = ['user_type', 'uscc', 'enterprise_name', 'legal_representative', 'id_number', 'name'];

function page(title, body) {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${title}</title></head>`
    + `<body style="font-family: sans-serif; max-width: 32rem; margin: 3rem auto">`
    + `<h1>省统一身份认证平台（测试）</h1>${body}</body></html>`;
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function listen(server, port) {
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve(server.address().port));
  });
}

// The issuer names the port, so the port is taken before the provider is built.
const server = http.createServer();
const port = await listen(server, config.port || 0);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'province'],
  claims: { openid: ['sub'], profile: ['name'], province: CLAIMS },
  features: { devInteractions: { enabled: false } },
  async findAccount(ctx, id) {
    if (!Object.hasOwn(accounts, id)) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id].claims }; } };
  },
  // The portal is the province's own client: no consent page, every requested scope is granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile province');
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['test-op-cookie-key'] },
});

// The sign-in page and its form.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = page('登录', `<form method="post" action="/interaction/${escape(details.uid)}">`
      + '<label for="login">账号</label> <input id="login" name="login" autofocus> '
      + '<button type="submit">登录</button></form>');
    return undefined;
  }
  const login = (await formBody(ctx.req)).get('login') || '';
  if (!Object.hasOwn(accounts, login)) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('登录', `<p role="alert">账号不存在：${escape(login)}</p>`);
    return undefined;
  }
  return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } });
});

// Broken ID tokens for the accounts that ask for them.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route !== 'token' || !ctx.body?.id_token) return;
  const claims = jose.decodeJwt(ctx.body.id_token);
  const broken = accounts[claims.sub]?.id_token;
  if (!broken) return;
  const now = Math.floor(Date.now() / 1000);
  if (broken === 'wrong_audience') claims.aud = 'another-client';
  if (broken === 'expired') Object.assign(claims, { iat: now - 4200, exp: now - 600 });
  ctx.body.id_token = await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid })
    .sign(privateKey);
});

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
