// The New order and correction form sends the time asked for from a datetime-local field, which
// sends nothing at all while a day or time is only partly typed: the order would silently become
// one for as soon as possible. Such a field stops the form with a message by it instead.
const form = document.querySelector('form.order-form');
const field = document.getElementById('scheduledFor');

form?.addEventListener('submit', (event) => {
  if (!field?.validity.badInput) return;
  event.preventDefault();
  let message = document.getElementById('scheduledFor-error');
  if (!message) {
    message = document.createElement('small');
    message.id = 'scheduledFor-error';
    field.after(message);
  }
  message.textContent = 'The day or time is only partly filled in: finish it, or clear the field for as soon as possible.';
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('aria-describedby', 'scheduledFor-error');
  field.focus();
});
