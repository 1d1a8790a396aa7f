import path from 'node:path';
import { GenerateCredentialReportCommand, GetAccountAuthorizationDetailsCommand, GetAccountSummaryCommand, GetCredentialReportCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { XmlShapeDeserializer } from '@aws-sdk/core/protocols';
import { parseXML } from '@aws-sdk/xml-builder';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAwsSandboxDataset, startAwsSandbox, type AwsSandbox } from '../../../connectors/aws-iam/sandbox/index.js';
import { AwsQueryReadingFast, parseXml } from '../../../connectors/aws-iam/xml.js';
import { collectGarbage } from '../../../src/heap.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** What a parser makes of the text: its document, or that it refused it. */
function outcome(parse: (text: string) => unknown, text: string): { document: unknown } | { refused: true } {
  try {
    return { document: parse(text) };
  } catch {
    return { refused: true };
  }
}

const name = fc.constantFrom('member', 'Arn', 'a', 'B', '__proto__', '#text', 'x:y');
const text = fc
  .array(fc.constantFrom('x', 'Ä', ' ', '\n', '\r\n', '\t', '&amp;', '&lt;', '&#x41;', '&#66;', '&bogus;', '&', '>', '%7B', '"', "'"), { maxLength: 8 })
  .map((parts) => parts.join(''));
const attributes = fc
  .array(fc.tuple(fc.constantFrom('xmlns', 'id', '__proto__', 'a'), text.map((t) => t.replace(/"/g, '')), fc.constantFrom(' ', '\n', '  ')), { maxLength: 2 })
  .map((list) => list.map(([n, v, space]) => `${space}${n}="${v}"`).join(''));
const element: fc.Memo<string> = fc.memo((depth) =>
  fc.tuple(name, attributes, fc.array(content(depth), { maxLength: 4 }), fc.boolean()).map(([tag, attrs, children, selfClose]) =>
    selfClose && children.length === 0 ? `<${tag}${attrs}/>` : `<${tag}${attrs}>${children.join('')}</${tag}>`,
  ),
);
const content = (depth: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: text },
    { weight: depth > 1 ? 3 : 0, arbitrary: fc.constant(null).chain(() => element(depth - 1)) },
    { weight: 1, arbitrary: text.map((t) => `<![CDATA[${t}<&>]]>`) },
    { weight: 1, arbitrary: text.map((t) => `<!--${t.replace(/-/g, '')}-->`) },
  );
const prolog = fc.constantFrom('', '<?xml version="1.0" encoding="UTF-8"?>\n', '  \n<!-- note -->\n', '<!DOCTYPE r [<!ENTITY e "v">]>\n', '<?xml version="1.0"?><!doctype r>');

describe('the XML parser IAM answers are read with', () => {
  it('makes the document the SDK\'s own parser makes, from any document', () => {
    fc.assert(
      fc.property(prolog, element(4), fc.constantFrom('', '\n', '  \r\n'), (head, root, tail) => {
        const xml = `${head}${root}${tail}`;
        expect(outcome(parseXml, xml)).toEqual(outcome(parseXML, xml));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what the SDK\'s parser refuses, and reads alike what it reads, from any text', () => {
    const soup = fc.array(fc.constantFrom('<', '>', '/', '</', '<a>', '</a>', '<b x="1">', '<![CDATA[', ']]>', '<!--', '-->', '<?', '?>', '=', '"', 'a', ' ', '\n', '&amp;'), { maxLength: 24 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(soup, (xml) => {
        expect(outcome(parseXml, xml)).toEqual(outcome(parseXML, xml));
      }),
      { numRuns: 3000 },
    );
  });

  it('copies what it reads out of the answer, so a value kept from a page does not keep the whole page alive', () => {
    const page = (p: number) => `<r>${Array.from({ length: 500 }, (_, i) => `<member><Arn>arn:aws:iam::100000000000:user/svc-${p}-${i}</Arn><Note>${'x'.repeat(2000)}</Note></member>`).join('')}</r>`;
    const kept: string[] = [];
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (let p = 0; p < 40; p++) for (const member of (parseXml(page(p)) as { r: { member: Array<{ Arn: string }> } }).r.member) kept.push(member.Arn);
    collectGarbage();
    const held = process.memoryUsage().heapUsed - before;
    // 40 pages of about a megabyte each; the 20 000 ARNs themselves take about 3 MB.
    expect(kept).toHaveLength(20_000);
    expect(held).toBeLessThan(10 * 2 ** 20);
  });

  it('keeps a provider\'s `__proto__` element a key of the document, as the SDK does', () => {
    const document = parseXml('<r><__proto__>polluted</__proto__><a>1</a></r>') as { r: Record<string, unknown> };
    expect(Object.keys(document.r)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(document).toEqual(parseXML('<r><__proto__>polluted</__proto__><a>1</a></r>'));
  });
});

describe('the IAM client reading with it, over the wire', () => {
  let sandbox: AwsSandbox;
  beforeAll(async () => {
    sandbox = await startAwsSandbox(await loadAwsSandboxDataset(path.join(ROOT, 'fixtures/demo-org/aws-iam')), { now: new Date('2026-11-20T00:00:00Z'), credentialReportPolls: 0 });
  });
  afterAll(() => sandbox.close());

  const config = () => ({ region: 'us-east-1', endpoint: sandbox.url, credentials: sandbox.baseCredentials, maxAttempts: 1 });
  /** An answer without the request's own metadata (its request id differs from call to call). */
  const answer = async (client: IAMClient, command: unknown) => {
    try {
      const { $metadata: _metadata, ...output } = (await client.send(command as never)) as { $metadata: unknown };
      return { output };
    } catch (error) {
      const { name: errorName, message, $fault } = error as { name: string; message: string; $fault: string };
      return { error: { errorName, message, $fault } };
    }
  };

  it('gives every operation the collection calls the output the SDK\'s own protocol gives, and the same errors', async () => {
    const stock = new IAMClient(config());
    const fast = new IAMClient({ ...config(), protocol: AwsQueryReadingFast });
    await stock.send(new GenerateCredentialReportCommand({}));
    const users = (await stock.send(new GetAccountAuthorizationDetailsCommand({}))).UserDetailList ?? [];
    expect(users.length).toBeGreaterThan(0);
    const commands: Array<() => unknown> = [
      () => new GetAccountAuthorizationDetailsCommand({ MaxItems: 2 }),
      () => new GetAccountAuthorizationDetailsCommand({}),
      () => new GetAccountSummaryCommand({}),
      () => new GetCredentialReportCommand({}),
      () => new ListAccessKeysCommand({ UserName: users[0]!.UserName! }),
      () => new ListAccessKeysCommand({ UserName: 'no-such-user' }),
    ];
    for (const command of commands) {
      const expected = await answer(stock, command());
      expect(await answer(fast, command())).toEqual(expected);
    }
    expect(await answer(fast, new GetAccountAuthorizationDetailsCommand({}))).toMatchObject({ output: { UserDetailList: expect.arrayContaining([expect.objectContaining({ UserName: users[0]!.UserName })]) } });
    expect(await answer(fast, new ListAccessKeysCommand({ UserName: 'no-such-user' }))).toMatchObject({ error: { errorName: 'NoSuchEntityException' } });
    // The comparison is between two parsers only if the protocol took this one: its deserializer overrides parseXml.
    const deserializer = (fast.config.protocol as unknown as { deserializer: object }).deserializer;
    expect(fast.config.protocol).toBeInstanceOf(AwsQueryReadingFast);
    expect(Object.getPrototypeOf(deserializer)).not.toBe(XmlShapeDeserializer.prototype);
    expect(deserializer).toBeInstanceOf(XmlShapeDeserializer);
  });
});
