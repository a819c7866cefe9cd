// `npm start`: parse the environment (one clear line and exit 1 when invalid), assemble the
// app, listen, and drain on SIGTERM/SIGINT.
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { createApp, createLogger } from './app.js';

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Invalid configuration: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config);

try {
  const app = await createApp(config, { logger });
  const url = await app.listen();
  logger.info(
    { url, database: config.database.kind, production: config.production, issuers: app.issuers.map((i) => i.name) },
    'identity subgraph listening',
  );

  // Production: a replica that cannot hear the others must not serve from memory (operations.md).
  void app.startupCheck.then((reason) => {
    if (reason === null) return;
    logger.fatal(`failed to start: ${reason}`);
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    const deadline = setTimeout(() => {
      logger.warn('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 2000);
    deadline.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  // The safe serializer keeps type, codes and causes: no driver text, host or password.
  logger.fatal({ err: error }, 'failed to start');
  process.exit(1);
}
