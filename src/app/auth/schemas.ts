/**
 * JSON Schemas (draft 2020-12) of the request bodies of the people-and-permissions routes: the
 * routes validate with them (http/routes/auth.ts) and the OpenAPI document shows them, so the
 * two cannot drift. Every string and list is bounded.
 */
import { API_KEY_SCOPES, MAX_API_KEY_NAME_CHARS, type ApiKeyScope } from './api-keys.js';
import { MAX_HOST_TOKEN_CHARS } from './host-token.js';
import { MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS } from './passwords.js';
import { MAX_EMAIL_CHARS, MAX_NAME_CHARS, STAFF_ROLES } from './staff.js';
import type { StaffRole } from '../context.js';

/** Longer than any sign-in link token we issue (43 chars); bounds the work on junk. */
export const MAX_LINK_TOKEN_CHARS = 200;

const emailField = { type: 'string', minLength: 1, maxLength: MAX_EMAIL_CHARS } as const;

function bodySchema<const P extends object, const R extends readonly string[]>(
  title: string,
  properties: P,
  required: R,
) {
  return { title, type: 'object', properties, required, additionalProperties: false } as const;
}

export const staffSignInSchema = bodySchema(
  'Staff sign-in',
  {
    email: emailField,
    password: { type: 'string', minLength: 1, maxLength: 4 * MAX_PASSWORD_CHARS },
  },
  ['email', 'password'],
);
export interface StaffSignInBody {
  email: string;
  password: string;
}

export const newStaffUserSchema = bodySchema(
  'New staff account',
  {
    email: emailField,
    name: { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS },
    role: { enum: [...STAFF_ROLES] },
    password: { type: 'string', minLength: MIN_PASSWORD_CHARS, maxLength: MAX_PASSWORD_CHARS },
  },
  ['email', 'name', 'role', 'password'],
);
export interface NewStaffUserBody {
  email: string;
  name: string;
  role: StaffRole;
  password: string;
}

export const signInLinkRequestSchema = bodySchema('Sign-in link request', { email: emailField }, [
  'email',
]);
export interface SignInLinkRequestBody {
  email: string;
}

export const signInLinkRedeemSchema = bodySchema(
  'Sign-in link redemption',
  { token: { type: 'string', minLength: 1, maxLength: MAX_LINK_TOKEN_CHARS } },
  ['token'],
);
export const hostTokenSchema = bodySchema(
  'Host-platform token',
  { token: { type: 'string', minLength: 1, maxLength: MAX_HOST_TOKEN_CHARS } },
  ['token'],
);
export interface TokenBody {
  token: string;
}

export const newApiKeySchema = bodySchema(
  'New API key',
  {
    name: { type: 'string', minLength: 1, maxLength: MAX_API_KEY_NAME_CHARS, pattern: '\\S' },
    scopes: {
      type: 'array',
      items: { enum: [...API_KEY_SCOPES] },
      minItems: 1,
      maxItems: API_KEY_SCOPES.length,
      uniqueItems: true,
    },
  },
  ['name', 'scopes'],
);
export interface NewApiKeyBody {
  name: string;
  scopes: ApiKeyScope[];
}
