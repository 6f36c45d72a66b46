// The order's page prints as a slip for the kitchen or the driver (see app.css, @media print): the
// number, the customer, the address and the items, nothing else. The button only saves a trip to
// the browser's menu, so it shows only where this script runs.
const offerPrinting = (root) => {
  for (const button of root.querySelectorAll('.print-slip')) {
    button.hidden = false;
    button.addEventListener('click', () => window.print());
  }
};
offerPrinting(document);

// The order changed elsewhere (a colleague's status change or correction, a new text from the
// customer, an answer's new state): the board's live stream says so, and the page reads again, on
// their own, what the order is now and the conversation (fragments that take no flash meant for the
// next page). The facts are replaced; the status form only while nobody is using it, and what is
// being typed in the answer form stays as it is; the forms' "up to" moves on to the newest text.
const conversation = document.getElementById('conversation');
if (conversation && window.EventSource && window.fetch) {
  const { orderId } = conversation.dataset;
  const source = new window.EventSource('/events');
  const fragment = async (address) => {
    const response = await window.fetch(address, { headers: { Accept: 'text/html' } });
    if (!response.ok) return undefined;
    const template = document.createElement('template');
    template.innerHTML = (await response.text()).trim();
    return template.content;
  };
  const showNow = (fresh) => {
    const facts = fresh.getElementById('order-facts-area');
    if (facts) {
      document.getElementById('order-facts-area').replaceWith(facts);
      offerPrinting(facts);
    }
    const status = fresh.getElementById('order-status');
    const form = document.querySelector('#order-status form');
    if (status && !(form && window.statusFormInUse(form))) document.getElementById('order-status').replaceWith(status);
  };
  const showConversation = (content) => {
    const fresh = content.getElementById('conversation-list');
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
  };
  let reading = false;
  let again = false;
  const readAgain = async () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      const [now, texts] = await Promise.all([fragment(conversation.dataset.now), fragment(conversation.dataset.conversation)]);
      if (now) showNow(now);
      if (texts) showConversation(texts);
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
