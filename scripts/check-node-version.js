// Plain JavaScript on purpose: it must run (and explain itself) on Node versions that cannot strip TypeScript types.
const required = 24;
const major = Number(process.versions.node.split('.')[0]);
if (major < required) {
  console.error(`Order Desk needs Node.js ${required} or newer; this is Node.js ${process.versions.node}. See .nvmrc.`);
  process.exit(1);
}
