// Preloaded by `npm start` (node … --import ./src/compile-cache.js src/server.ts), so that it applies
// to every module the server loads: compiled code, and the JavaScript that Node strips from each
// TypeScript file, are kept on disk, and later starts skip that work — including loading Node's
// type stripper itself. That is why this one file is JavaScript: a TypeScript preload would load the
// stripper before the cache is on (11–14 MB more memory for the process's life, 100 ms more start).
// https://nodejs.org/api/module.html#module-compile-cache
import { enableCompileCache } from 'node:module';

enableCompileCache();
