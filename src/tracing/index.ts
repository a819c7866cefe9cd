// OpenTelemetry tracing, when configured (config/tracing.ts): a tracer provider of this app's own
// (nothing registered globally) exporting batches over OTLP/HTTP from a worker thread
// (./offthread.ts), and the three places spans are
// made: requests (./requests.ts), outbound calls (./outbound.ts), SQL (./database.ts). app.ts
// imports this module only when tracing is on, so with it off none of it is even loaded.
import { W3CTraceContextPropagator, ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  RandomIdGenerator,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { TracingConfig } from '../config/tracing.js';
import { createTracingCore } from './core.js';
import { OffThreadSpanProcessor } from './offthread.js';
import { traceDatabase } from './database.js';
import { traceFetch } from './outbound.js';
import { createRequestTracer } from './requests.js';
import { createScopes } from './scopes.js';
import type { Tracing } from './types.js';

export type { Tracing } from './types.js';

// Bounds on a collector that is slow or gone: an export waits this long; shutdown waits for the
// last one at most this long, well inside SHUTDOWN_TIMEOUT_MS's margin.
const EXPORT_TIMEOUT_MS = 5_000;
const SHUTDOWN_FLUSH_MS = 5_000;
const EXPORT_FAILURE_LOG_INTERVAL_MS = 60_000;
/** The instrumentation scope of every span: the SDK tracer's and the request spans' (requests.ts). */
const SCOPE = { name: 'identity-subgraph' };

function samplerOf(config: TracingConfig): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.samplerRatio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** Logs failed exports, at most once a minute (the URL only: the headers may hold the collector's API key). */
function failureLog(config: TracingConfig, logger: Logger): (result: ExportResult) => void {
  let lastLogged = Number.NEGATIVE_INFINITY;
  return (result) => {
    if (result.code !== ExportResultCode.SUCCESS && Date.now() - lastLogged >= EXPORT_FAILURE_LOG_INTERVAL_MS) {
      lastLogged = Date.now();
      logger.warn({ err: result.error, url: config.url }, 'trace export failed: spans are being dropped');
    }
  };
}

export function startTracing(config: TracingConfig, deps: { logger: Logger }): Tracing {
  // What BasicTracerProvider would make of it (the SDK's defaults, then ours), built here so the
  // export thread is handed the same attributes.
  const resource = Resource.default().merge(new Resource({ [ATTR_SERVICE_NAME]: config.serviceName }));
  const processor = new OffThreadSpanProcessor({
    url: config.url,
    headers: config.headers,
    protocol: config.protocol,
    resource: resource.attributes,
    exportTimeoutMillis: EXPORT_TIMEOUT_MS,
    onExportFailed: failureLog(config, deps.logger),
  });
  const sampler = samplerOf(config);
  const ids = new RandomIdGenerator();
  const provider = new BasicTracerProvider({ resource, sampler, idGenerator: ids, spanProcessors: [processor] });
  const contexts = createScopes();
  const core = createTracingCore(provider.getTracer(SCOPE.name), contexts, new W3CTraceContextPropagator());
  deps.logger.info({ url: config.url, protocol: config.protocol, serviceName: config.serviceName, sampler: config.sampler }, 'tracing on');
  return {
    requests: createRequestTracer({ core, sampler, ids, recorder: processor, instrumentationScope: SCOPE }),
    fetch: (base) => traceFetch(core, base),
    database: (db) => traceDatabase(core, db),
    scopesEntered: () => contexts.entered,
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), SHUTDOWN_FLUSH_MS);
        timer.unref();
      });
      const flushed = await Promise.race([provider.shutdown().then(() => 'done' as const, () => 'failed' as const), deadline]);
      clearTimeout(timer);
      contexts.close();
      if (flushed !== 'done') deps.logger.warn({ outcome: flushed }, 'tracing: buffered spans not exported at shutdown');
    },
  };
}
