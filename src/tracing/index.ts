// OpenTelemetry tracing, when configured (config/tracing.ts): a tracer provider of this app's own
// (nothing registered globally) exporting batches over OTLP/HTTP, and the three places spans are
// made: requests (./requests.ts), outbound calls (./outbound.ts), SQL (./database.ts). app.ts
// imports this module only when tracing is on, so with it off none of it is even loaded.
import { W3CTraceContextPropagator, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { TracingConfig } from '../config/tracing.js';
import { createTracingCore } from './core.js';
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

/** The OTLP exporter, telling the log when exports fail (at most once a minute). */
function exporterOf(config: TracingConfig, logger: Logger): SpanExporter {
  const options = { url: config.url, headers: config.headers, timeoutMillis: EXPORT_TIMEOUT_MS, keepAlive: true };
  const exporter = config.protocol === 'http/json' ? new OTLPJsonTraceExporter(options) : new OTLPProtoTraceExporter(options);
  let lastLogged = Number.NEGATIVE_INFINITY;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS && Date.now() - lastLogged >= EXPORT_FAILURE_LOG_INTERVAL_MS) {
          lastLogged = Date.now();
          // The URL only: the headers may hold the collector's API key.
          logger.warn({ err: result.error, url: config.url }, 'trace export failed: spans are being dropped');
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
}

export function startTracing(config: TracingConfig, deps: { logger: Logger }): Tracing {
  const provider = new BasicTracerProvider({
    resource: new Resource({ [ATTR_SERVICE_NAME]: config.serviceName }),
    sampler: samplerOf(config),
    spanProcessors: [new BatchSpanProcessor(exporterOf(config, deps.logger), { exportTimeoutMillis: EXPORT_TIMEOUT_MS })],
  });
  const contexts = createScopes();
  const core = createTracingCore(provider.getTracer('identity-subgraph'), contexts, new W3CTraceContextPropagator());
  deps.logger.info({ url: config.url, protocol: config.protocol, serviceName: config.serviceName, sampler: config.sampler }, 'tracing on');
  return {
    requests: createRequestTracer(core),
    fetch: (base) => traceFetch(core, base),
    database: (db) => traceDatabase(core, db),
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
