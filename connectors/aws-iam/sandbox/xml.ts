import { parseAwsDate } from './dataset.js';

/**
 * awsQuery response bodies. Lists are `<Name><member>…</member></Name>`, maps (given as a `Map`) are
 * `<entry><key/><value/></entry>`, timestamps ISO 8601 without milliseconds, blobs base64: the shapes the
 * SDK's XmlShapeDeserializer reads for IAM and STS.
 */

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => XML_ENTITIES[char] ?? char);
}

export function formatAwsTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function xmlValue(value: unknown): string {
  if (value instanceof Date) return escapeXml(formatAwsTimestamp(value));
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Map) {
    return [...value].map(([key, item]) => `<entry><key>${escapeXml(String(key))}</key>${xmlElement('value', item)}</entry>`).join('');
  }
  if (Array.isArray(value)) return value.map((item) => xmlElement('member', item)).join('');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .map(([key, item]) => xmlElement(key, item))
      .join('');
  }
  return escapeXml(String(value));
}

export function xmlElement(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  const content = xmlValue(value);
  return content === '' ? `<${name}/>` : `<${name}>${content}</${name}>`;
}

/** RFC 3986: everything but unreserved characters is percent-encoded, as IAM sends policy documents. */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

const WIRE_DATE_FIELDS = new Set(['CreateDate', 'UpdateDate', 'LastUsedDate']);
const WIRE_DOCUMENT_FIELDS = new Set(['AssumeRolePolicyDocument', 'PolicyDocument', 'Document']);

/**
 * A dataset item as IAM sends it: `x-` fields and nulls dropped, dates as timestamps, policy documents
 * as URL-encoded JSON text.
 */
export function toWire(value: unknown, key = ''): unknown {
  if (value === null || value === undefined) return undefined;
  if (WIRE_DOCUMENT_FIELDS.has(key)) return encodeRfc3986(typeof value === 'string' ? value : JSON.stringify(value));
  if (WIRE_DATE_FIELDS.has(key) && typeof value === 'string') return parseAwsDate(value);
  if (Array.isArray(value)) return value.map((item) => toWire(item));
  if (typeof value === 'object') {
    const wire: Record<string, unknown> = {};
    for (const [childKey, child] of Object.entries(value)) {
      if (childKey.startsWith('x-')) continue;
      const converted = toWire(child, childKey);
      if (converted !== undefined) wire[childKey] = converted;
    }
    return wire;
  }
  return value;
}

export function queryResponse(action: string, namespace: string, result: object | undefined, requestId: string): string {
  const body = result === undefined ? '' : xmlElement(`${action}Result`, result) || `<${action}Result/>`;
  return (
    `<${action}Response xmlns="${namespace}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function queryError(namespace: string, status: number, code: string, message: string, requestId: string): string {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
