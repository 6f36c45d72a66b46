// Keeps the board's "Customer message" column current while messages are on their way
// (queued → sending → sent → delivered), without reloading the page and losing a half-made choice.
// Everything works without it: a reload shows the same.
const labels = { queued: 'Queued', sending: 'Sending', sent: 'Sent', delivered: 'Delivered', failed: 'Failed', expired: 'Expired', 'not-sent': 'Not sent' };
const settled = new Set(['delivered', 'failed', 'expired', 'not-sent']);
const intervalMs = 3000;

function cells() {
  return [...document.querySelectorAll('[data-message-for]')];
}

function stillMoving() {
  return cells().some((cell) => [...cell.classList].some((name) => name.startsWith('message-') && !settled.has(name.slice(8))));
}

function show(cell, message) {
  cell.className = `message-state message-${message.state}`;
  const time = document.createElement('time');
  time.dateTime = message.updatedAt;
  // The server formats the time in the kitchen's zone; the browser's zone may be another.
  time.textContent = message.updatedAtText;
  cell.replaceChildren(`${labels[message.state] ?? message.state} `, time);
  if (message.errorDescription) cell.append(`: ${message.errorDescription.split('\n').join('; ')}`);
}

async function refresh() {
  const response = await fetch('/orders/message-states.json', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return false;
  const latest = new Map((await response.json()).map((message) => [message.orderId, message]));
  for (const cell of cells()) {
    const message = latest.get(cell.dataset.messageFor);
    if (message) show(cell, message);
  }
  return true;
}

async function poll() {
  if (!document.hidden && stillMoving()) {
    // Signed out or offline: stop quietly; a reload brings the page back.
    const ok = await refresh().catch(() => false);
    if (!ok) return;
  }
  setTimeout(poll, intervalMs);
}

setTimeout(poll, intervalMs);
