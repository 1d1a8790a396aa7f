import { AwsQueryProtocol, XmlShapeDeserializer } from '@aws-sdk/core/protocols';

/**
 * The AWS SDK's own XML parser (`parseXML` of @aws-sdk/xml-builder), the same document for the same text, written
 * with indexOf and slice where the SDK's appends a character at a time. At 100 000 identities the SDK's built
 * 2.6 GB of strings that died young, and parsing with the garbage collection it caused was about a fifth of a run's
 * CPU time. A test holds this parser to the SDK's, on the sandbox's answers and on generated documents, with
 * whatever SDK version is installed.
 */
export function parseXml(text: string): Record<string, unknown> {
  return new XmlReader(text).document();
}

type Value = string | Record<string, unknown>;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const ENTITY = /&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|([a-zA-Z][a-zA-Z0-9]{0,30}));/g;
const TAG_NAME = /[^ \t\r\n>/]*/y;
const ATTRIBUTE_NAME = /[^= \t\r\n>/?]*/y;
const SPACE = /[ \t\r\n]*/y;

/**
 * The text as a string of its own. V8 makes a slice of 13 characters or more a view into the whole answer, and one
 * ARN kept in the inventory would keep its page of XML alive (a megabyte for each thousand identities); joined to a
 * character and sliced again, it is copied out first.
 */
function own(text: string): string {
  return text.length < 13 ? text : `_${text}`.slice(1);
}

function decodeEntities(text: string): string {
  if (!text.includes('&')) return own(text);
  return text.replace(ENTITY, (_, hex: string | undefined, dec: string | undefined, named: string) =>
    hex ? String.fromCharCode(parseInt(hex, 16)) : dec ? String.fromCharCode(parseInt(dec, 10)) : (ENTITIES[named] ?? ''),
  );
}

/** A key named `__proto__` stays a key, as the SDK writes it. */
function ownKey(object: Record<string, unknown>, key: string): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value: undefined, writable: true, enumerable: true, configurable: true });
}

/** Whitespace-only text holding a newline is layout, not content. */
const layout = (text: string) => text.trim() === '' && text.includes('\n');

class XmlReader {
  private readonly x: string;
  private readonly z: number;
  private i = 0;

  constructor(text: string) {
    this.x = text.replace(/\r\n?/g, '\n');
    this.z = this.x.length;
  }

  document(): Record<string, unknown> {
    while (this.i < this.z) {
      this.skipSpace();
      if (this.i >= this.z) break;
      if (this.x.startsWith('<?', this.i)) {
        this.readTo('?>');
        this.skipSpace();
      } else if (this.x.startsWith('<!--', this.i)) {
        this.readTo('-->');
        this.skipSpace();
      } else if (this.x.toLowerCase().startsWith('<!doctype', this.i)) {
        this.skipDoctype();
        this.skipSpace();
      } else if (this.x[this.i] === '<') {
        const [tag, value] = this.element();
        return { [tag]: value };
      } else {
        throw new Error('@aws-sdk XML parse error: unexpected content.');
      }
    }
    throw new Error('@aws-sdk XML parse error: no root element.');
  }

  private skipSpace(): void {
    SPACE.lastIndex = this.i;
    SPACE.test(this.x);
    this.i = SPACE.lastIndex;
  }

  private match(pattern: RegExp): string {
    pattern.lastIndex = this.i;
    pattern.test(this.x);
    const text = this.x.slice(this.i, pattern.lastIndex);
    this.i = pattern.lastIndex;
    return text;
  }

  private readTo(stop: string): string {
    const at = this.x.indexOf(stop, this.i);
    if (at === -1) throw new Error(`@aws-sdk XML parse error: expected "${stop}" not found.`);
    const text = this.x.slice(this.i, at);
    this.i = at + stop.length;
    return text;
  }

  private skipDoctype(): void {
    this.i += 9;
    let depth = 0;
    for (; this.i < this.z; this.i++) {
      const c = this.x[this.i];
      if (c === '[') depth++;
      else if (c === ']') depth--;
      else if (c === '>' && depth === 0) {
        this.i++;
        return;
      }
    }
    throw new Error('@aws-sdk XML parse error: unclosed DOCTYPE.');
  }

  private attributeValue(): string {
    const quote = this.x[this.i]!;
    const end = this.x.indexOf(quote, this.i + 1);
    const value = this.x.slice(this.i + 1, end === -1 ? this.z : end);
    this.i = end === -1 ? this.z + 1 : end + 1;
    return decodeEntities(value);
  }

  private element(): [string, Value] {
    this.i++;
    const tag = this.match(TAG_NAME);
    let hasAttributes = false;
    const attributes: Record<string, string> = {};
    while (this.i < this.z) {
      this.skipSpace();
      const c = this.x[this.i];
      if (c === '>' || c === '/') break;
      const name = this.match(ATTRIBUTE_NAME);
      this.skipSpace();
      if (this.x[this.i] !== '=') break;
      this.i++;
      this.skipSpace();
      ownKey(attributes, name);
      attributes[name] = this.attributeValue();
      hasAttributes = true;
    }
    if (this.i >= this.z) throw new Error('@aws-sdk XML parse error: unexpected end of input.');
    if (this.x[this.i] === '/') {
      this.i++;
      if (this.i >= this.z || this.x[this.i] !== '>') throw new Error('@aws-sdk XML parse error: expected > at the end of self-closing tag.');
      this.i++;
      return [tag, hasAttributes ? attributes : ''];
    }
    if (this.x[this.i] !== '>') throw new Error('@aws-sdk XML parse error: expected > at the end of opening tag.');
    this.i++;
    const texts: string[] = [];
    const children: Array<[string, Value]> = [];
    while (this.i < this.z) {
      if (this.x.startsWith('</', this.i)) break;
      if (this.x[this.i] === '<') {
        if (this.x.startsWith('<!--', this.i)) this.readTo('-->');
        else if (this.x.startsWith('<![CDATA[', this.i)) {
          this.i += 9;
          texts.push(own(this.readTo(']]>')));
        } else if (this.x.startsWith('<?', this.i)) this.readTo('?>');
        else children.push(this.element());
      } else {
        const end = this.x.indexOf('<', this.i);
        const stop = end === -1 ? this.z : end;
        texts.push(decodeEntities(this.x.slice(this.i, stop)));
        this.i = stop;
      }
    }
    if (!this.x.startsWith('</', this.i)) throw new Error(`@aws-sdk XML parse error: missing closing tag </${tag}>.`);
    this.i += 2;
    const closing = this.readTo('>').trim();
    if (closing !== tag) throw new Error(`@aws-sdk XML parse error: mismatched tags <${tag}> and </${closing}>.`);
    if (!hasAttributes && children.length === 0) {
      if (texts.length === 0) return [tag, ''];
      const text = texts.length === 1 ? texts[0]! : texts.join('');
      return [tag, layout(text) ? '' : text];
    }
    const object: Record<string, unknown> = {};
    for (const text of texts) {
      if (layout(text)) continue;
      object['#text'] = '#text' in object ? (object['#text'] as string) + text : text;
    }
    for (const [name, value] of children) {
      ownKey(object, name);
      if (!(name in object)) object[name] = value;
      else if (Array.isArray(object[name])) (object[name] as Value[]).push(value);
      else object[name] = [object[name], value];
    }
    for (const [name, value] of Object.entries(attributes)) {
      ownKey(object, name);
      object[name] = value;
    }
    return [tag, object];
  }
}

/** Text nodes unwrapped, as the SDK's `getValueFromTextNode` does after parsing. */
function unwrapText(object: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(object)) {
    const value = object[key] as { '#text'?: unknown } | string;
    if ((value as { '#text'?: unknown })['#text'] !== undefined) object[key] = (value as { '#text': unknown })['#text'];
    else if (typeof value === 'object' && value !== null) object[key] = unwrapText(value as Record<string, unknown>);
  }
  return object;
}

/** The SDK's XML deserializer, parsing with parseXml; the rest of its reading (the schema's shapes) is the SDK's. */
class XmlDeserializer extends XmlShapeDeserializer {
  protected override parseXml(xml: string): unknown {
    if (!xml.length) return {};
    let parsed: Record<string, unknown>;
    try {
      parsed = parseXml(xml);
    } catch (error) {
      if (error && typeof error === 'object') Object.defineProperty(error, '$responseBodyText', { value: xml });
      throw error;
    }
    const root = Object.keys(parsed)[0]!;
    const content = parsed[root] as Record<string, unknown>;
    if (content['#text']) {
      content[root] = content['#text'];
      delete content['#text'];
    }
    return unwrapText(content);
  }
}

/**
 * The awsQuery protocol (IAM, STS) as the SDK implements it, reading answers with parseXml: a client takes it as its
 * `protocol`. Requests, signing, retries, errors and the shapes read from the document are all the SDK's own.
 */
export class AwsQueryReadingFast extends AwsQueryProtocol {
  constructor(options: ConstructorParameters<typeof AwsQueryProtocol>[0]) {
    super(options);
    this.deserializer = new XmlDeserializer(this.deserializer.settings);
  }
}
