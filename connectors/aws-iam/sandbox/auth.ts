import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, type Principal } from './api.js';
import type { AwsSandboxDataset } from './dataset.js';
import { encodeRfc3986 } from './xml.js';

/**
 * Who a request comes from. Requests are signed with SigV4 and checked as AWS checks them, so a
 * collector that signs with the wrong secret or drops the session token fails here as it would in AWS.
 */

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomId(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  return prefix + Array.from(bytes, (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

/** A stable id of AWS's form (`AIDA…`, `AROA…`) for principals the dataset gives no id for. */
export function syntheticId(prefix: string, seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  return prefix + Array.from(digest.subarray(0, 17), (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

export class PrincipalRegistry {
  readonly base: Principal;
  private readonly byAccessKeyId = new Map<string, Principal>();

  constructor(dataset: AwsSandboxDataset) {
    const { accessKeyId, accountId, arn } = dataset.baseCredentials;
    const user = dataset.accounts[accountId]?.authorizationDetails.UserDetailList?.find((candidate) => candidate.Arn === arn);
    this.base = {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
      accountId,
      arn,
      userId: user?.UserId ?? syntheticId('AIDA', arn),
      userName: arn.slice(arn.lastIndexOf('/') + 1),
    };
    this.byAccessKeyId.set(accessKeyId, this.base);
  }

  get(accessKeyId: string): Principal | undefined {
    return this.byAccessKeyId.get(accessKeyId);
  }

  /** Temporary credentials for a role session, as AssumeRole hands them out. */
  issueSession(accountId: string, roleName: string, roleId: string, sessionName: string): Principal {
    const principal: Principal = {
      accessKeyId: randomId('ASIA', 16),
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(180).toString('base64'),
      accountId,
      arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
      userId: `${roleId}:${sessionName}`,
    };
    this.byAccessKeyId.set(principal.accessKeyId, principal);
    return principal;
  }
}

interface Authorization {
  accessKeyId: string;
  scope: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string): Authorization | undefined {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8}\/[^/]+\/([^/]+)\/aws4_request),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(header.trim());
  if (!match) return undefined;
  const [, accessKeyId, scope, service, signedHeaders, signature] = match as unknown as string[];
  return { accessKeyId: accessKeyId!, scope: scope!, service: service!, signedHeaders: signedHeaders!.split(';'), signature: signature! };
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function canonicalQuery(search: string): string {
  return [...new URLSearchParams(search)]
    .map(([key, value]) => [encodeRfc3986(key), encodeRfc3986(value)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ');
}

/** The SigV4 signature AWS would compute for this request with this secret. */
function expectedSignature(
  request: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  authorization: Authorization,
  secretAccessKey: string,
): string {
  const [path = '/', search = ''] = request.url.split('?');
  const signedHeaders = [...authorization.signedHeaders].sort();
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery(search),
    ...signedHeaders.map((name) => `${name}:${headerValue(request.headers, name)}`),
    '',
    signedHeaders.join(';'),
    headerValue(request.headers, 'x-amz-content-sha256') || sha256Hex(request.body),
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', headerValue(request.headers, 'x-amz-date'), authorization.scope, sha256Hex(canonicalRequest)].join('\n');
  const [date = '', region = '', service = ''] = authorization.scope.split('/');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  return hmac(signingKey, stringToSign).toString('hex');
}

/** Error codes differ between awsQuery (IAM, STS) and JSON (Organizations, Access Analyzer) services. */
const AUTH_ERRORS = {
  query: {
    missing: 'MissingAuthenticationToken',
    incomplete: 'IncompleteSignature',
    unknownKey: 'InvalidClientTokenId',
    badSignature: 'SignatureDoesNotMatch',
  },
  json: {
    missing: 'MissingAuthenticationTokenException',
    incomplete: 'IncompleteSignatureException',
    unknownKey: 'UnrecognizedClientException',
    badSignature: 'InvalidSignatureException',
  },
};

export function authenticate(
  principals: PrincipalRegistry,
  request: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  expected: { service: string; protocol: 'query' | 'json' | 'rest-json' },
): Principal {
  const codes = AUTH_ERRORS[expected.protocol === 'query' ? 'query' : 'json'];
  const header = request.headers.authorization;
  if (!header) throw new ApiError(403, codes.missing, 'Request is missing Authentication Token');
  const authorization = parseAuthorization(header);
  if (!authorization) throw new ApiError(400, codes.incomplete, 'Authorization header requires Credential, SignedHeaders and Signature.');
  const principal = principals.get(authorization.accessKeyId);
  const token = headerValue(request.headers, 'x-amz-security-token');
  if (!principal || (principal.sessionToken ?? '') !== token) {
    throw new ApiError(403, codes.unknownKey, 'The security token included in the request is invalid.');
  }
  if (authorization.service !== expected.service) {
    throw new ApiError(403, codes.badSignature, `Credential should be scoped to correct service: '${expected.service}'.`);
  }
  const signature = Buffer.from(expectedSignature(request, authorization, principal.secretAccessKey));
  if (!timingSafeEqual(signature, Buffer.from(authorization.signature))) {
    throw new ApiError(
      403,
      codes.badSignature,
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return principal;
}
