// `npm run keys -- list|rotate|api-peppers` (src/cli/keysCommand.ts).
import { runAsProcess } from './io.js';
import { keysCommand } from './keysCommand.js';

runAsProcess(keysCommand);
