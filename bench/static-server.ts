// The other sides of the board benchmark: every request answered with the very bytes and headers
// the app sent for the board, by plain node:http, or by Express 5 with one route and no middleware
// (what the framework alone costs). Usage: node bench/static-server.ts PORT ANSWER.json [express]
import express from 'express';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [port, answerPath, kind] = process.argv.slice(2);
const answer = JSON.parse(readFileSync(answerPath!, 'utf8')) as { headers: Record<string, string>; body: string };
const body = Buffer.from(answer.body, 'base64');

if (kind === 'express') {
  const app = express();
  app.disable('x-powered-by');
  // The answer carries the app's ETag already, as the app's kept pages do.
  app.set('etag', false);
  app.get(['/', '/healthz'], (_req, res) => {
    res.set(answer.headers);
    res.send(body);
  });
  app.listen(Number(port), '127.0.0.1');
} else {
  createServer((req, res) => {
    req.resume();
    res.writeHead(200, { ...answer.headers, date: new Date().toUTCString(), 'content-length': body.length });
    res.end(body);
  }).listen(Number(port), '127.0.0.1');
}
