import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's Prometheus metrics, in their own registry (not prom-client's global one). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly latency: Histogram<'route' | 'method'>;
  readonly ttft: Histogram<'model'>;
  readonly tokensPerSecond: Histogram<'model'>;
  readonly tokens: Counter<'model' | 'kind'>;
  readonly queueDepth: Gauge<'model'>;
  readonly active: Gauge<'model'>;
  readonly batchSize: Histogram<'model'>;
  readonly cancelled: Counter<'model' | 'reason'>;
  readonly rejected: Counter<'reason'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'llm_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers });
    this.latency = new Histogram({
      name: 'llm_http_request_duration_seconds',
      help: 'HTTP request duration (for streams: until the last byte)',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.ttft = new Histogram({ name: 'llm_time_to_first_token_seconds', help: 'Time from request arrival to the first generated token', labelNames: ['model'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.tokensPerSecond = new Histogram({ name: 'llm_generation_tokens_per_second', help: 'Decode speed per request (tokens after the first / time after the first)', labelNames: ['model'], buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000], registers });
    this.tokens = new Counter({ name: 'llm_tokens_total', help: 'Tokens processed, by kind (prompt, completion, embedding)', labelNames: ['model', 'kind'], registers });
    this.queueDepth = new Gauge({ name: 'llm_queue_depth', help: 'Requests waiting for a slot, per model', labelNames: ['model'], registers });
    this.active = new Gauge({ name: 'llm_active_requests', help: 'Requests holding a slot, per model', labelNames: ['model'], registers });
    this.batchSize = new Histogram({ name: 'llm_embedding_batch_size', help: 'Texts per embedding batch (dynamic batching)', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers });
    this.cancelled = new Counter({ name: 'llm_cancelled_requests_total', help: 'Generations stopped early (client disconnect or timeout)', labelNames: ['model', 'reason'], registers });
    this.rejected = new Counter({ name: 'llm_rejected_requests_total', help: 'Requests refused before running (queue full, rate limit, auth)', labelNames: ['reason'], registers });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'llm_process_' });
  }
}
