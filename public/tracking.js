// The customer's tracking page reads itself again while the order can still change, and tells a
// screen reader when the news changes. Not a timed page refresh: that would throw a screen reader
// back to the top of the page each time (WCAG 2.2.1). Without this script, "Check again" reloads.
const main = document.querySelector('main.tracking');
const seconds = Number(main?.dataset.refreshSeconds);
if (main && seconds > 0 && window.fetch) {
  const timer = window.setInterval(async () => {
    try {
      const response = await window.fetch(window.location.href, { headers: { Accept: 'text/html' }, cache: 'no-store' });
      if (!response.ok) return;
      const fresh = new window.DOMParser().parseFromString(await response.text(), 'text/html').querySelector('main.tracking');
      if (!fresh) return;
      const before = main.querySelector('.tracking-status')?.textContent;
      main.replaceChildren(...fresh.childNodes);
      const after = main.querySelector('.tracking-status')?.textContent;
      if (after && after !== before) document.getElementById('tracking-news').textContent = `Now: ${after}`;
      // Delivered or cancelled: nothing more will change.
      if (!fresh.dataset.refreshSeconds) window.clearInterval(timer);
    } catch {
      // Offline for a moment: the next round tries again.
    }
  }, seconds * 1000);
}
