// `npm run operators -- grant EMAIL | revoke EMAIL | list` (src/cli/operatorsCommand.ts).
import { runAsProcess } from './io.js';
import { operatorsCommand } from './operatorsCommand.js';

runAsProcess(operatorsCommand);
