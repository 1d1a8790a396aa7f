// @ts-check
import { randomUUID } from 'node:crypto';
import { InvalidResponseError, validateResponse, withRetries, z } from 'nhi-audit/sdk';

/*
 * Snowflake's SQL API v2: POST /api/v2/statements runs a statement and answers with its first partition of rows
 * and the result's metadata (rowType, numRows, partitionInfo); GET /api/v2/statements/{handle}?partition=N reads
 * the others. Every answer is validated for what the normalizer reads, every partition is checked against the row
 * count the metadata announced (a short partition is a truncated answer, never a short population), and every one
 * is kept as evidence.
 */

const USER_AGENT = 'nhi-audit-connector-snowflake/1.0.0';

const Cell = z.string().nullable();
const RowTypeSchema = z.array(z.object({ name: z.string(), type: z.string() }));
const MetadataSchema = z.object({
  numRows: z.number().int().nonnegative(),
  format: z.literal('jsonv2'),
  rowType: RowTypeSchema,
  partitionInfo: z.array(z.object({ rowCount: z.number().int().nonnegative() })).min(1),
});
const ResultSetSchema = z.object({ statementHandle: z.string().min(1), resultSetMetaData: MetadataSchema, data: z.array(z.array(Cell)) });
const PartitionSchema = z.object({ data: z.array(z.array(Cell)) });
const QueryStatusSchema = z.object({ statementHandle: z.string().min(1), statementStatusUrl: z.string().min(1) });

/** @typedef {Record<string, string | null>} Row */

/** An HTTP answer that is not a success: status and Retry-After where the SDK's retry judgement reads them. */
export class SnowflakeError extends Error {
  /**
   * @param {string} operation
   * @param {number} status
   * @param {Record<string, string>} headers
   * @param {{ code?: unknown; message?: unknown }} body
   */
  constructor(operation, status, headers, body) {
    // Snowflake's error messages name objects and SQL, never credentials.
    super(`${operation}: HTTP ${status}${body.code ? ` ${String(body.code)}` : ''}${body.message ? `: ${String(body.message)}` : ''}`);
    this.status = status;
    this.code = typeof body.code === 'string' ? body.code : `HTTP${status}`;
    this.response = { status, headers };
  }
}

export class SnowflakeClient {
  /**
   * @param {import('./config.js').SnowflakeConfig} config
   * @param {import('./auth.js').KeyPairAuth} auth
   * @param {import('nhi-audit/sdk').ConnectContext} context
   */
  constructor(config, auth, context) {
    this.config = config;
    this.auth = auth;
    this.context = context;
    this.baseUrl = config.baseUrl ?? `https://${config.account.toLowerCase()}.snowflakecomputing.com`;
  }

  /**
   * One HTTP exchange; a non-success answer becomes a SnowflakeError.
   * @param {string} operation
   * @param {string} path
   * @param {{ method?: string; body?: unknown; signal?: AbortSignal }} [options]
   */
  async send(operation, path, options = {}) {
    const signals = [AbortSignal.timeout(this.context.timeouts.requestMs), ...(options.signal ? [options.signal] : [])];
    const response = await fetch(new URL(path, this.baseUrl), {
      method: options.method ?? 'GET',
      headers: {
        ...this.auth.headers(),
        accept: 'application/json',
        'user-agent': USER_AGENT,
        ...(options.body ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.any(signals),
    });
    const text = await response.text();
    if (!response.ok) {
      let body = {};
      try {
        body = JSON.parse(text);
      } catch {
        // An error page that is not JSON (a proxy's): the status says enough.
      }
      throw new SnowflakeError(operation, response.status, Object.fromEntries(response.headers), body);
    }
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch (error) {
      // A truncated body, or a proxy's HTML page: a fault of this operation, retried, never an empty result.
      throw new InvalidResponseError(operation, [`the body is not JSON (${/** @type {Error} */ (error).message})`]);
    }
  }

  /**
   * Retries an exchange that met a transient fault, counting the attempts for the manifest.
   * @template T
   * @param {(attempt: number) => Promise<T>} exchange
   * @param {AbortSignal | undefined} signal
   */
  retried(exchange, signal) {
    return withRetries(exchange, { ...this.config.retry, ...(signal ? { signal } : {}) });
  }

  /**
   * Runs one statement and reads every partition of its result, keeping each as a page.
   * @param {import('nhi-audit/sdk').ScopeRecorder} scope
   * @param {string} operation the name the manifest and the sandbox's faults know it by
   * @param {string} statement
   * @param {AbortSignal} [signal]
   * @returns {Promise<{ rows: Row[]; refs: string[] }>}
   */
  async query(scope, operation, statement, signal) {
    const requestId = randomUUID();
    const parameters = { statement };
    const body = { statement, timeout: this.config.statementTimeoutSeconds, ...(this.config.role ? { role: this.config.role } : {}) };
    const { value: first, attempts } = await this.retried(async (attempt) => {
      // The same requestId with retry=true lets Snowflake answer a resubmitted statement without running it twice.
      const answer = await this.send(operation, `/api/v2/statements?requestId=${requestId}${attempt > 1 ? '&retry=true' : ''}`, { method: 'POST', body, ...(signal ? { signal } : {}) });
      const resultSet = answer.status === 202 ? await this.awaitResult(operation, validateResponse(operation, QueryStatusSchema, answer.body), signal) : answer.body;
      const parsed = validateResponse(operation, ResultSetSchema, resultSet);
      checkPartition(operation, parsed.resultSetMetaData, 0, parsed.data);
      return { raw: resultSet, parsed };
    }, signal);
    const { statementHandle, resultSetMetaData: metadata } = first.parsed;
    /** @type {Row[]} */
    const rows = [];
    /** @type {string[]} */
    const refs = [];
    const keep = async (/** @type {unknown} */ page, /** @type {(string | null)[][]} */ data, /** @type {number} */ tries) => {
      const ref = await scope.page(operation, parameters, page, { records: data.length, attempts: tries });
      rows.push(...toRows(metadata.rowType, data));
      refs.push(...data.map(() => ref));
    };
    await keep(first.raw, first.parsed.data, attempts);
    for (let partition = 1; partition < metadata.partitionInfo.length; partition++) {
      const { value, attempts: tries } = await this.retried(async () => {
        const answer = await this.send(operation, `/api/v2/statements/${encodeURIComponent(statementHandle)}?partition=${partition}`, signal ? { signal } : {});
        const parsed = validateResponse(operation, PartitionSchema, answer.body);
        checkPartition(operation, metadata, partition, parsed.data);
        return { raw: answer.body, data: parsed.data };
      }, signal);
      await keep(value.raw, value.data, tries);
    }
    if (rows.length !== metadata.numRows) {
      throw new InvalidResponseError(operation, [`the partitions hold ${rows.length} rows, but resultSetMetaData.numRows announced ${metadata.numRows}`]);
    }
    return { rows, refs };
  }

  /**
   * Polls a statement that is still running (HTTP 202) until its result is there.
   * @param {string} operation
   * @param {{ statementStatusUrl: string }} status
   * @param {AbortSignal | undefined} signal
   */
  async awaitResult(operation, status, signal) {
    for (let poll = 0; ; poll++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** poll, 5000)));
      const answer = await this.send(operation, status.statementStatusUrl, signal ? { signal } : {});
      if (answer.status === 200) return answer.body;
    }
  }
}

/**
 * Rows as objects by column name (lower case, as SHOW and DESCRIBE name their columns).
 * @param {readonly { name: string }[]} rowType
 * @param {readonly (string | null)[][]} data
 * @returns {Row[]}
 */
export function toRows(rowType, data) {
  const names = rowType.map((column) => column.name.toLowerCase());
  return data.map((values) => Object.fromEntries(names.map((name, i) => [name, values[i] ?? null])));
}

/**
 * A partition must hold the rows its metadata announced, each as wide as the row type.
 * @param {string} operation
 * @param {z.output<typeof MetadataSchema>} metadata
 * @param {number} partition
 * @param {(string | null)[][]} data
 */
function checkPartition(operation, metadata, partition, data) {
  const expected = metadata.partitionInfo[partition]?.rowCount;
  const problems = [];
  if (data.length !== expected) problems.push(`partition ${partition} holds ${data.length} rows, but partitionInfo announced ${expected}`);
  const narrow = data.findIndex((row) => row.length !== metadata.rowType.length);
  if (narrow >= 0) problems.push(`data[${narrow}] has ${data[narrow]?.length} values for ${metadata.rowType.length} columns`);
  if (problems.length > 0) throw new InvalidResponseError(operation, problems);
}
