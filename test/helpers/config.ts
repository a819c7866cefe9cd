// The configuration suites' one question: why does loadConfig refuse this environment?
import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

/** The ConfigError message loadConfig refuses `env` with; fails the test when it accepts it. */
export function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('the configuration was accepted');
}
