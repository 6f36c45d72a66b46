// Staff's answer to a customer on an order's page: its SMS parts counted while it is typed, with the
// same function the server uses (sms-text.js); the quick answers put in with one press; and what is
// typed kept for this tab until it is sent, so a status changed on the same page or a reload does
// not lose it. Without this script the page shows the count of what was last sent back to it, and
// no quick answers.
import { countSegments, describeCount } from './sms-text.js';

for (const form of document.querySelectorAll('[data-answer-editor]')) {
  const field = form.querySelector('textarea');
  const count = form.querySelector('[data-count]');
  const recount = () => {
    count.textContent = describeCount(countSegments(field.value.trim()));
  };
  const draftKey = `order-desk.answer:${new URL(form.action).pathname}`;
  const draft = window.sessionStorage.getItem(draftKey);
  // A text the server gave back (a refused send) is what was typed last: it stays.
  if (draft && field.value === '') {
    field.value = draft;
    recount();
  }
  field.addEventListener('input', () => {
    recount();
    if (field.value.trim() === '') window.sessionStorage.removeItem(draftKey);
    else window.sessionStorage.setItem(draftKey, field.value);
  });
  form.addEventListener('submit', () => window.sessionStorage.removeItem(draftKey));

  // A quick answer goes after what is already typed, never over it.
  const quick = form.querySelector('.quick-answers');
  if (quick) {
    quick.hidden = false;
    quick.addEventListener('click', (event) => {
      const button = event.target.closest('[data-quick-answer]');
      if (!button) return;
      const typed = field.value.trimEnd();
      field.value = typed === '' ? button.textContent : `${typed} ${button.textContent}`;
      field.dispatchEvent(new window.Event('input'));
      field.focus();
      field.setSelectionRange(field.value.length, field.value.length);
    });
  }
}
