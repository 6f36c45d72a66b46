// Counts SMS parts and redraws the preview while an admin types on the Templates page, with the
// same functions the server uses on save (sms-text.js). Without this script the page still works:
// Preview and Save show the server's count.
import { countSegments, describeCount, fillPlaceholders, unknownPlaceholders } from './sms-text.js';

const page = document.getElementById('templates');
const placeholders = JSON.parse(page.dataset.placeholders);
const sample = JSON.parse(page.dataset.sample);
const partsWarningAbove = Number(page.dataset.partsWarningAbove);

for (const form of document.querySelectorAll('[data-template-editor]')) {
  const field = form.querySelector('textarea');
  const count = form.querySelector('[data-count]');
  const partsWarning = form.querySelector('[data-parts-warning]');
  const placeholderProblem = form.querySelector('[data-placeholder-problem]');
  const preview = form.querySelector('[data-preview]');
  const values = { ...sample, status: form.dataset.status };

  field.addEventListener('input', () => {
    const text = fillPlaceholders(field.value.trim(), values);
    const segments = countSegments(text);
    count.textContent = describeCount(segments);
    partsWarning.hidden = segments.parts <= partsWarningAbove;
    const unknown = unknownPlaceholders(field.value, placeholders);
    placeholderProblem.hidden = unknown.length === 0;
    placeholderProblem.textContent = unknown.length === 0 ? '' : `Not a placeholder: ${unknown.join(' ')}.`;
    preview.textContent = text;
  });
}
