// `npm run import -- FILE|- [--strict] [--batch-size N]` (src/cli/importCommand.ts).
import { runAsProcess } from './io.js';
import { importCommand } from './importCommand.js';

runAsProcess(importCommand);
