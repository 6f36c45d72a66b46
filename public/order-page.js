// The order's page prints as a slip for the kitchen or the driver (see app.css, @media print): the
// number, the customer, the address and the items, nothing else. The button only saves a trip to
// the browser's menu, so it shows only where this script runs.
for (const button of document.querySelectorAll('.print-slip')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}

// New texts from the customer, and the states of the answers sent, show without a reload: the
// board's live stream says when something about this order changed, and the conversation is read
// again on its own (a fragment that takes no flash meant for the next page). What is being typed in
// the answer form stays as it is; the forms' "up to" moves on to the newest text now listed.
const conversation = document.getElementById('conversation');
if (conversation && window.EventSource && window.fetch) {
  const { orderId } = conversation.dataset;
  const source = new window.EventSource('/events');
  let reading = false;
  let again = false;
  const readAgain = async () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      const response = await window.fetch(conversation.dataset.conversation, { headers: { Accept: 'text/html' } });
      if (!response.ok) return;
      const template = document.createElement('template');
      template.innerHTML = (await response.text()).trim();
      const fresh = template.content.getElementById('conversation-list');
      if (!fresh) return;
      const shown = document.getElementById('conversation-list');
      const before = shown.querySelectorAll('li').length;
      shown.replaceWith(fresh);
      // A screen reader hears a new text from the customer (the list itself is not read out again).
      const entries = fresh.querySelectorAll('li');
      const newest = entries[entries.length - 1];
      if (entries.length > before && newest && !newest.classList.contains('answer')) {
        document.getElementById('conversation-news').textContent = `New text: ${newest.textContent.trim()}`;
      }
      const unread = document.getElementById('conversation-unread');
      unread.textContent = `${fresh.dataset.unread} unread`;
      unread.hidden = fresh.dataset.unread === '0';
      for (const field of conversation.querySelectorAll('.answer-form input[name=upTo]')) field.value = fresh.dataset.upTo;
    } finally {
      reading = false;
      if (again) {
        again = false;
        void readAgain();
      }
    }
  };
  source.addEventListener('order', (event) => {
    if (JSON.parse(event.data).id === orderId) void readAgain();
  });
  // Leaving the page (a form sent) or signed out: no more reads.
  document.addEventListener('submit', () => source.close());
  source.addEventListener('session-ended', () => source.close());
}
