// The `introspection` entry of AUTH_ISSUERS (at most one): its schema and its parsed form.
import { z } from 'zod';
import type { EmailTrust } from '../domain/types.js';
import { issuerName, readSecret, requireFetchableUrl, scopeList } from './issuerFields.js';

// legacy-sessions.md: opaque session tokens checked at an RFC 7662 endpoint; callers.md: or at an
// old validator asked in its own shape (`request`, `method`, `activeField`, `principalField`).
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
const RESERVED_HEADERS = /^(authorization|content-type|content-length|host|connection|transfer-encoding)$/i;
export const introspectionIssuerSchema = z
  .object({
    name: issuerName,
    kind: z.literal('introspection'),
    issuer: z.string().min(1),
    introspectionUrl: z.url({ protocol: /^https?$/ }),
    request: z
      .union([
        z.enum(['rfc7662', 'bearer']),
        z.object({ header: z.string().regex(HEADER_NAME, 'must be an HTTP header name').refine((name) => !RESERVED_HEADERS.test(name), 'must not be a header the request sets itself') }).strict(),
      ])
      .default('rfc7662'),
    method: z.enum(['GET', 'POST']).default('POST'),
    clientId: z.string().min(1).optional(),
    clientSecretEnv: z.string().min(1).optional(),
    subjectField: z.string().min(1).default('sub'),
    emailField: z.string().min(1).default('email'),
    emailVerifiedField: z.string().min(1).default('email_verified'),
    nameField: z.string().min(1).default('name'),
    givenNameField: z.string().min(1).optional(),
    familyNameField: z.string().min(1).optional(),
    activeField: z.string().min(1).nullable().default('active'),
    principalField: z.string().min(1).optional(),
    serviceScopes: scopeList.optional(),
    emailTrust: z.enum(['claim', 'always', 'never']).default('claim'),
    cacheSeconds: z.number().int().min(0).max(86_400).default(60),
    adoptSubjectAsUserId: z.boolean().default(false),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.request === 'rfc7662') {
      // RFC 7662 §2.1: the token goes in a POSTed form; a GET would put it in URLs and logs.
      if (value.method === 'GET') ctx.addIssue({ code: 'custom', path: ['method'], message: 'GET is only for request "bearer" or {"header": …}; "rfc7662" is POST' });
      if (value.clientId === undefined) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'required for request "rfc7662"' });
      if (value.clientSecretEnv === undefined) ctx.addIssue({ code: 'custom', path: ['clientSecretEnv'], message: 'required for request "rfc7662"' });
    }
    if ((value.clientId === undefined) !== (value.clientSecretEnv === undefined)) {
      ctx.addIssue({ code: 'custom', path: [value.clientId === undefined ? 'clientId' : 'clientSecretEnv'], message: 'clientId and clientSecretEnv go together' });
    }
  });

/** How the old system is asked (callers.md): RFC 7662's form, the token in a header of its own, or as a bearer. */
export type IntrospectionRequest = { kind: 'rfc7662' } | { kind: 'bearer' } | { kind: 'header'; name: string };

/** The introspection issuer (at most one), with every default applied. */
export interface IntrospectionIssuerConfig {
  name: string;
  kind: 'introspection';
  issuer: string;
  introspectionUrl: string;
  request: IntrospectionRequest;
  method: 'GET' | 'POST';
  /** Sent as HTTP Basic with the secret when given; null only outside "rfc7662". */
  clientId: string | null;
  /** Read from `clientSecretEnv` at start-up; never logged. */
  clientSecret: string | null;
  subjectField: string;
  emailField: string;
  emailVerifiedField: string;
  nameField: string;
  givenNameField: string | null;
  familyNameField: string | null;
  /** The boolean member saying the session is live; null: a 200 answer means live. */
  activeField: string | null;
  /** A member whose value other than `user` makes the session a service principal; null: always a user. */
  principalField: string | null;
  /** A service principal's scopes (principalField); null: none. */
  serviceScopes: readonly string[] | null;
  emailTrust: EmailTrust;
  cacheSeconds: number;
  adoptSubjectAsUserId: boolean;
}

export function toIntrospectionIssuer(
  entry: z.output<typeof introspectionIssuerSchema>,
  where: string,
  env: NodeJS.ProcessEnv,
  production: boolean,
): IntrospectionIssuerConfig {
  requireFetchableUrl(entry.introspectionUrl, `${where}.introspectionUrl`, production);
  const { clientSecretEnv, request, clientId, givenNameField, familyNameField, principalField, serviceScopes, ...rest } = entry;
  return {
    ...rest,
    request: typeof request === 'string' ? { kind: request } : { kind: 'header', name: request.header.toLowerCase() },
    clientId: clientId ?? null,
    clientSecret: clientSecretEnv === undefined ? null : readSecret(env, clientSecretEnv, `${where}.clientSecretEnv`),
    givenNameField: givenNameField ?? null,
    familyNameField: familyNameField ?? null,
    principalField: principalField ?? null,
    serviceScopes: serviceScopes ?? null,
  };
}
