// Preloaded by `npm start` (node … --import ./src/compile-cache.ts src/server.ts), so that it applies
// to every module the server loads: compiled code is kept on disk and later starts skip compiling
// it again — a fifth of a start's CPU time (measured by `npm run bench`, docs/performance.md).
// https://nodejs.org/api/module.html#module-compile-cache
import { enableCompileCache } from 'node:module';

enableCompileCache();
