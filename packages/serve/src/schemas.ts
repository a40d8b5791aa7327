/**
 * JSON schemas of the request bodies (the OpenAI wire format; fastify validates with ajv,
 * without type coercion). Unknown properties are allowed, as OpenAI's SDKs add new ones over time;
 * known ones must have the right type and range.
 */

const nullable = (schema: Record<string, unknown>): Record<string, unknown> => ({ anyOf: [schema, { type: 'null' }] });

const stop = nullable({ anyOf: [{ type: 'string', maxLength: 256 }, { type: 'array', maxItems: 4, items: { type: 'string', maxLength: 256 } }] });

const sampling = {
  temperature: nullable({ type: 'number', minimum: 0, maximum: 2 }),
  top_p: nullable({ type: 'number', minimum: 0, maximum: 1 }),
  top_k: nullable({ type: 'integer', minimum: 0, maximum: 100000 }),
  max_tokens: nullable({ type: 'integer', minimum: 1, maximum: 1_000_000 }),
  stop,
  seed: nullable({ type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 }),
  n: nullable({ type: 'integer', minimum: 1, maximum: 8 }),
  stream: nullable({ type: 'boolean' }),
  stream_options: nullable({ type: 'object', properties: { include_usage: { type: 'boolean' } } }),
  presence_penalty: nullable({ type: 'number', minimum: -2, maximum: 2 }),
  frequency_penalty: nullable({ type: 'number', minimum: -2, maximum: 2 }),
  logit_bias: nullable({ type: 'object', maxProperties: 0 }),
  user: { type: 'string', maxLength: 512 },
} as const;

const contentPart = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string', const: 'text' }, text: { type: 'string' } },
};

/** `POST /v1/chat/completions`. */
export const chatCompletionBody = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 256 },
    messages: {
      type: 'array',
      minItems: 1,
      maxItems: 2048,
      items: {
        type: 'object',
        required: ['role'],
        properties: {
          role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool'] },
          content: nullable({ anyOf: [{ type: 'string' }, { type: 'array', maxItems: 256, items: contentPart }] }),
          name: { type: 'string', maxLength: 256 },
          tool_call_id: { type: 'string' },
        },
      },
    },
    max_completion_tokens: nullable({ type: 'integer', minimum: 1, maximum: 1_000_000 }),
    logprobs: nullable({ type: 'boolean', const: false }),
    tools: { type: 'array', maxItems: 0 },
    response_format: nullable({ type: 'object', required: ['type'], properties: { type: { type: 'string', const: 'text' } } }),
    ...sampling,
  },
} as const;

/** `POST /v1/completions`. */
export const completionBody = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 256 },
    prompt: { anyOf: [{ type: 'string' }, { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string' } }] },
    echo: nullable({ type: 'boolean' }),
    logprobs: { type: 'null' },
    suffix: { type: 'null' },
    best_of: nullable({ type: 'integer', minimum: 1, maximum: 8 }),
    ...sampling,
  },
} as const;

/** `POST /v1/embeddings`. */
export const embeddingBody = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 256 },
    input: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, maxItems: 2048, items: { type: 'string', minLength: 1 } }] },
    encoding_format: { type: 'string', enum: ['float', 'base64'] },
    dimensions: { type: 'integer', minimum: 1 },
    user: { type: 'string', maxLength: 512 },
  },
} as const;

/** `POST /v1/rag/ask`. */
export const ragAskBody = {
  type: 'object',
  required: ['question'],
  properties: {
    question: { type: 'string', minLength: 1, maxLength: 8000 },
    k: { type: 'integer', minimum: 1, maximum: 50 },
    model: { type: 'string', minLength: 1, maxLength: 256 },
    max_tokens: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const;

/** A chat message as sent on the wire. */
export interface WireMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: string | Array<{ type: 'text'; text?: string }> | null;
  name?: string;
}

/** Fields shared by chat and completion requests. */
export interface WireSampling {
  model: string;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  max_tokens?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
}

/** Body of `POST /v1/chat/completions`. */
export interface ChatCompletionRequest extends WireSampling {
  messages: WireMessage[];
  max_completion_tokens?: number | null;
}

/** Body of `POST /v1/completions`. */
export interface CompletionRequest extends WireSampling {
  prompt: string | string[];
  echo?: boolean | null;
  best_of?: number | null;
}

/** Body of `POST /v1/embeddings`. */
export interface EmbeddingRequest {
  model: string;
  input: string | string[];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
}

/** Body of `POST /v1/rag/ask`. */
export interface RagAskRequest {
  question: string;
  k?: number;
  model?: string;
  max_tokens?: number;
}
