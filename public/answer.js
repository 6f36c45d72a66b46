// Counts the SMS parts of staff's answer while it is typed on an order's page, with the same
// function the server uses (sms-text.js). Without this script the page shows the count of what was
// last sent back to it.
import { countSegments, describeCount } from './sms-text.js';

for (const form of document.querySelectorAll('[data-answer-editor]')) {
  const field = form.querySelector('textarea');
  const count = form.querySelector('[data-count]');
  field.addEventListener('input', () => {
    count.textContent = describeCount(countSegments(field.value.trim()));
  });
}
