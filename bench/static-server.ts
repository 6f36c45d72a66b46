// The other side of the board benchmark: plain node:http answering every request with the very
// bytes and headers the app sent for the board. Usage: node bench/static-server.ts PORT ANSWER.json
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [port, answerPath] = process.argv.slice(2);
const answer = JSON.parse(readFileSync(answerPath!, 'utf8')) as { headers: Record<string, string>; body: string };
const body = Buffer.from(answer.body, 'base64');

createServer((req, res) => {
  req.resume();
  res.writeHead(200, { ...answer.headers, date: new Date().toUTCString(), 'content-length': body.length });
  res.end(body);
}).listen(Number(port), '127.0.0.1');
