// The order's page prints as a slip for the kitchen or the driver (see app.css, @media print): the
// number, the customer, the address and the items, nothing else. The button only saves a trip to
// the browser's menu, so it shows only where this script runs.
for (const button of document.querySelectorAll('.print-slip')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}
