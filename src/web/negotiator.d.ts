// The part of negotiator 1.x this project uses, with the `preferred` option the published types
// (written for 0.6) lack: https://github.com/jshttp/negotiator#encodingavailableencodings-options
declare module 'negotiator' {
  import type { IncomingMessage } from 'node:http';

  export default class Negotiator {
    constructor(request: IncomingMessage);
    encoding(available: readonly string[], options?: { preferred?: readonly string[] }): string | undefined;
  }
}
