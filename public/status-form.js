// The status forms of the board's rows and of an order's page. Picking a status sets the "Text the
// customer" box to the admin's default for that status (unless the box was clicked already), and
// picking delayed brings the delay field (its quick picks submit the form at once), cancelled the
// optional reason. Without this script a form shows those fields after an Update that needed them.
// One listener for the whole page: a form the order's page puts in again (order-page.js) works as
// the one it replaced.
document.addEventListener('change', (event) => {
  const field = event.target;
  const area = field.closest?.('[data-text-defaults]');
  if (!area || !field.form) return;
  if (field.name === 'text') field.dataset.touched = 'yes';
  if (field.name !== 'status') return;
  const textDefaults = new Set(area.dataset.textDefaults.split(' ').filter(Boolean));
  const form = field.form;
  const box = form.elements.namedItem('text');
  if (box && !box.dataset.touched) box.checked = textDefaults.has(field.value);
  const delay = form.querySelector('.delay');
  const saved = form.elements.namedItem('expectedStatus').value;
  if (field.value === 'delayed' && saved !== 'delayed') {
    // After Update, the form's first button: Enter in the minutes field presses Update.
    if (!delay) form.querySelector('button').after(document.getElementById('delay-field').content.cloneNode(true));
  } else {
    delay?.remove();
  }
  // Why it is cancelled, optional: a field with suggestions after Update (Enter in it presses Update).
  const reason = form.querySelector('.cancel-reason');
  if (field.value === 'cancelled' && saved !== 'cancelled') {
    if (!reason) form.querySelector('button').after(document.getElementById('reason-field').content.cloneNode(true));
  } else {
    reason?.remove();
  }
});

/** A status form in use: focus inside it, or a list, box or minutes changed and not yet saved. Live updates leave it as it is. */
window.statusFormInUse = (form) => form.contains(document.activeElement) || [...form.elements].some((field) => (field.type === 'checkbox' ? field.checked !== field.defaultChecked
  : field.tagName === 'SELECT' ? [...field.options].some((option) => option.selected !== option.defaultSelected)
    : field.type === 'number' && field.value !== field.defaultValue));
