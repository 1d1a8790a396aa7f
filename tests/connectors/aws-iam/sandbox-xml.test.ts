import { expect, test } from 'vitest';
import { encodeRfc3986, queryError, queryResponse, toWire, xmlElement } from '../../../connectors/aws-iam/sandbox/xml.js';

test('toWire drops x- fields and nulls, turns dates into timestamps and policy documents into URL-encoded JSON', () => {
  const wire = toWire({
    UserName: 'bot',
    CreateDate: '2019-12-18 19:10:08+00:00',
    'x-deleted': '2025-01-01T00:00:00Z',
    PermissionsBoundary: null,
    UserPolicyList: [{ PolicyName: 'p', PolicyDocument: { Statement: [{ Action: 's3:*', Resource: "arn:aws:s3:::b/it's (1)!" }] } }],
  });
  expect(wire).toEqual({
    UserName: 'bot',
    CreateDate: new Date('2019-12-18T19:10:08Z'),
    UserPolicyList: [
      {
        PolicyName: 'p',
        PolicyDocument: '%7B%22Statement%22%3A%5B%7B%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ab%2Fit%27s%20%281%29%21%22%7D%5D%7D',
      },
    ],
  });
  expect(encodeRfc3986("a*b'c(d)!e~f")).toBe('a%2Ab%27c%28d%29%21e~f');
});

test('XML elements: lists as member, maps as entry/key/value, empty values self-closed, text escaped', () => {
  expect(xmlElement('GroupList', ['a&b', 'c'])).toBe('<GroupList><member>a&amp;b</member><member>c</member></GroupList>');
  expect(xmlElement('Tags', [])).toBe('<Tags/>');
  expect(xmlElement('RoleLastUsed', {})).toBe('<RoleLastUsed/>');
  expect(xmlElement('SummaryMap', new Map([['Users', 3]]))).toBe('<SummaryMap><entry><key>Users</key><value>3</value></entry></SummaryMap>');
  expect(xmlElement('CreateDate', new Date('2024-05-01T10:00:00.123Z'))).toBe('<CreateDate>2024-05-01T10:00:00Z</CreateDate>');
  expect(xmlElement('Content', new TextEncoder().encode('a,b'))).toBe('<Content>YSxi</Content>');
  expect(xmlElement('Marker', undefined)).toBe('');
});

test('awsQuery envelopes carry the namespace, result and request id', () => {
  expect(queryResponse('GetCallerIdentity', 'https://sts.amazonaws.com/doc/2011-06-15/', { Account: '1' }, 'id-1')).toBe(
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Account>1</Account></GetCallerIdentityResult>' +
      '<ResponseMetadata><RequestId>id-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
  );
  expect(queryError('ns', 503, 'ServiceUnavailable', 'down <now>', 'id-2')).toBe(
    '<ErrorResponse xmlns="ns"><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>down &lt;now&gt;</Message></Error>' +
      '<RequestId>id-2</RequestId></ErrorResponse>',
  );
});
