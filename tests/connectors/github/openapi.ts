import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

type Schema = Record<string, any>;

// ajv-formats is CommonJS with a default export that NodeNext sees as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const SPEC_ID = 'github';

/**
 * Validates response bodies against GitHub's OpenAPI description for Enterprise Cloud (api.github.com plus
 * the GHEC-only SAML credential authorizations). The non-dereferenced file is read once: component
 * schemas are added to Ajv as one document and compiled only when an operation refers to them.
 */
export class ResponseValidator {
  private readonly ajv: Ajv;
  private readonly operations = new Map<string, { method: string; path: string; responses: Record<string, Schema> }>();
  private readonly responses: Record<string, Schema>;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    const require = createRequire(import.meta.url);
    const spec = JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/ghec.json'), 'utf8')) as Schema;
    this.ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormats(this.ajv);
    const schemas = Object.fromEntries(Object.entries(spec.components.schemas as Record<string, Schema>).map(([name, schema]) => [name, toJsonSchema(schema)]));
    this.ajv.addSchema({ $id: SPEC_ID, components: { schemas } });
    this.responses = spec.components.responses;
    for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, Schema>>)) {
      for (const [method, operation] of Object.entries(item)) {
        if (operation?.operationId) this.operations.set(operation.operationId, { method: method.toUpperCase(), path, responses: operation.responses });
      }
    }
  }

  /** Method and path template of an operation, as the spec names them. */
  operation(operationId: string): { method: string; path: string; successSchema: Schema | undefined } | undefined {
    const found = this.operations.get(operationId);
    if (!found) return undefined;
    const success = Object.keys(found.responses).find((status) => status.startsWith('2'));
    return { method: found.method, path: found.path, successSchema: success ? this.responseSchema(found.responses[success]!) : undefined };
  }

  /**
   * Problems of `body` against the schema of `operationId`'s `status` response; error statuses the spec
   * does not list are checked against GitHub's common error body (`basic-error`).
   */
  validate(operationId: string, status: number, body: unknown): string[] {
    const found = this.operations.get(operationId);
    if (!found) return [`${operationId} is not in the OpenAPI description`];
    const response = found.responses[String(status)];
    let schema = response ? this.responseSchema(response) : undefined;
    if (!schema) {
      if (status < 400) return [`${operationId} has no JSON schema for status ${status}`];
      schema = { $ref: '#/components/schemas/basic-error' };
    }
    const key = `${operationId} ${response ? status : 'error'}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(toJsonSchema(schema));
      this.compiled.set(key, validate);
    }
    return validate(body) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`);
  }

  private responseSchema(response: Schema): Schema | undefined {
    const resolved = response.$ref ? this.responses[String(response.$ref).split('/').pop()!] : response;
    return resolved?.content?.['application/json']?.schema;
  }
}

/** OpenAPI 3.0 schema → JSON Schema: `nullable` becomes a null type, references point into the spec document. */
function toJsonSchema(schema: Schema): Schema {
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key === 'discriminator' || key.startsWith('x-')) continue;
    if (key === '$ref') out.$ref = String(value).replace(/^#/, `${SPEC_ID}#`);
    else if (key === 'properties' || key === 'patternProperties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([name, child]) => [name, toJsonSchema(child)]));
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      out[key] = typeof value === 'object' ? toJsonSchema(value as Schema) : value;
    } else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      out[key] = (value as Schema[]).map(toJsonSchema);
    } else out[key] = value;
  }
  if (schema.nullable !== true) return out;
  if (typeof out.type === 'string') {
    return { ...out, type: [out.type, 'null'], ...(Array.isArray(out.enum) ? { enum: [...out.enum, null] } : {}) };
  }
  return { anyOf: [out, { type: 'null' }] };
}
