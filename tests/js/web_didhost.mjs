// tests/js/web_didhost.mjs — a did:web host for the page's tests
// (tests/cli/web_online.sh): HTTPS with the certificate the test made (its
// own CA), on a free loopback port (127.0.0.1, and ::1 on the same port when
// the machine has it, since "localhost" may resolve to either), serving the
// files under ROOT, GET only, each answer with the CORS header
// Access-Control-Allow-Origin: * that a did:web host needs for the page to
// read it. Like tests/lib/didweb_server.py (the CLI's did:web test), a few
// paths answer specially:
//   /redirect/did.json  302 to /.well-known/did.json on the same host (a redirect is never followed)
//   /big/did.json       a 100 KiB JSON document (over the 64 KiB limit)
//   /nocors/...         the file, WITHOUT the CORS header (the page must say UNKNOWN, the CLI reads it)
// It writes the port to PORTFILE once listening and stops by itself after
// LIFETIME seconds (default 600), so a test that dies leaves nothing behind.
//   node tests/js/web_didhost.mjs ROOT PORTFILE CERT KEY [LIFETIME]
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

const [root, portFile, cert, key, life = '600'] = process.argv.slice(2);
const opts = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
const realRoot = fs.realpathSync(root);

function handle(req, res) {
  const p = decodeURIComponent(req.url.split('?')[0]);
  const cors = !p.startsWith('/nocors/');
  const answer = (code, body = '', headers = {}) => {
    res.writeHead(code, { ...(cors ? { 'Access-Control-Allow-Origin': '*' } : {}), 'Content-Length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };
  if (req.method === 'OPTIONS') return answer(204, '', { 'Access-Control-Allow-Methods': 'GET' });
  if (req.method !== 'GET') return answer(405, 'GET only');
  if (p === '/redirect/did.json') return answer(302, '', { Location: `https://${req.headers.host}/.well-known/did.json` });
  if (p === '/big/did.json') return answer(200, '{"id":"x","pad":"' + 'a'.repeat(100 * 1024) + '"}', { 'Content-Type': 'application/json' });
  let full;
  try {
    full = fs.realpathSync(path.join(realRoot, p));
  } catch {
    return answer(404, 'not found');
  }
  if (!full.startsWith(realRoot + path.sep) || !fs.statSync(full).isFile()) return answer(404, 'not found');
  answer(200, fs.readFileSync(full), { 'Content-Type': 'application/did+json' });
}

const v4 = https.createServer(opts, handle);
v4.listen(0, '127.0.0.1', () => {
  const port = v4.address().port;
  const v6 = https.createServer(opts, handle);
  const done = () => {
    fs.writeFileSync(portFile + '.tmp', `${port}\n`);
    fs.renameSync(portFile + '.tmp', portFile);
  };
  v6.on('error', done); // no ::1 here: IPv4 only
  v6.listen(port, '::1', done);
});
setTimeout(() => process.exit(0), Number(life) * 1000);
