// `npm run keys -- list|rotate` (src/cli/keysCommand.ts).
import { runAsProcess } from './io.js';
import { keysCommand } from './keysCommand.js';

runAsProcess(keysCommand);
