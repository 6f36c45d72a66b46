// Keeps the board current without reloading: new orders, status changes by colleagues and message
// states arrive over Server-Sent Events (GET /events) as rows rendered by the server's own row
// template. A row whose status form is in use (focused, or changed but not yet saved) keeps that
// cell as it is. Everything works without this script: a reload shows the same.
const board = document.getElementById('board');

// After Update, Notify or Send again the server sends the browser back to /#order-<id>: the browser
// scrolls to that row and this puts the keyboard focus on it, so staff carry on where they were.
const landedOn = window.location.hash.startsWith('#order-') ? document.getElementById(window.location.hash.slice(1)) : null;
if (landedOn) {
  landedOn.tabIndex = -1;
  landedOn.focus();
}

if (board && window.EventSource) {
  const active = document.getElementById('active-orders');
  const recentlyDone = document.getElementById('recently-done');
  const empty = document.querySelector('.empty-board');
  const lateAfterMs = Number(board.dataset.lateAfter) * 60_000;
  const doneVisibleMs = Number(board.dataset.doneVisible) * 60_000;
  const searching = board.dataset.search !== undefined;
  const soundToggle = document.getElementById('sound-toggle');
  const alerts = document.getElementById('board-alerts');
  const soundKey = 'order-desk.sound-on-new-orders';
  const chime = new window.Audio('/new-order.wav');

  // Sound is per screen and off until someone turns it on (browsers allow audio only after a click).
  soundToggle.checked = window.localStorage.getItem(soundKey) === 'on';
  soundToggle.closest('label').hidden = false;
  soundToggle.addEventListener('change', () => {
    window.localStorage.setItem(soundKey, soundToggle.checked ? 'on' : 'off');
    if (soundToggle.checked) chime.play().catch(() => {});
  });

  const rowFrom = (html) => {
    const template = document.createElement('template');
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  };

  /** The cell of a row's status form someone is using (status-form.js), or undefined. */
  const busyCell = (row) => {
    const form = row.querySelector('form[action$="/status"]');
    return form && window.statusFormInUse(form) ? form.closest('td') : undefined;
  };

  function replace(row, fresh) {
    const keep = busyCell(row);
    if (!keep) return row.replaceWith(fresh);
    // Update everything around the cell in use; its form is left exactly as it is.
    for (const name of row.getAttributeNames()) if (!fresh.hasAttribute(name)) row.removeAttribute(name);
    for (const name of fresh.getAttributeNames()) row.setAttribute(name, fresh.getAttribute(name));
    [...row.cells].forEach((cell, index) => {
      if (cell !== keep && fresh.cells[index]) cell.replaceWith(fresh.cells[index].cloneNode(true));
    });
  }

  /** When an active row is due: the time asked for, or its arrival plus LATE_AFTER_MINUTES (as order-row.ejs). */
  const dueAt = (row) => (row.dataset.scheduledFor ? Date.parse(row.dataset.scheduledFor) : Date.parse(row.dataset.createdAt) + lateAfterMs);

  /**
   * Active orders stay in the order they are due (an order for later below those due before it). A
   * row already in its place is not moved: moving it would take the keyboard focus out of it.
   */
  function placeActive(row) {
    const due = dueAt(row);
    const previous = row.previousElementSibling;
    const next = row.nextElementSibling;
    if (row.parentElement === active && (!previous || dueAt(previous) <= due) && (!next || dueAt(next) >= due)) return;
    const later = [...active.rows].find((other) => other !== row && dueAt(other) > due);
    active.insertBefore(row, later ?? null);
  }

  /**
   * A notice at the top that stays until OK is pressed, read out at once (the alerts area is
   * assertive), with the chime when sound is on: for news that changes what the kitchen is doing.
   */
  function showNotice(kind, message, goTo, dismissLabel) {
    const notice = document.createElement('p');
    notice.className = `flash flash-${kind} board-alert`;
    const link = document.createElement('a');
    link.href = goTo.href;
    link.textContent = goTo.text;
    const dismiss = document.createElement('button');
    dismiss.type = 'button';
    dismiss.textContent = 'OK';
    dismiss.setAttribute('aria-label', dismissLabel);
    dismiss.addEventListener('click', () => notice.remove());
    notice.append(...message, link, ' ', dismiss);
    alerts.append(notice);
    if (soundToggle.checked) chime.play().catch(() => {});
  }

  /** "Order #14 for Ada Lovelace", as a row names it. */
  const orderName = (row) => {
    const number = row.querySelector('th strong')?.textContent;
    const name = row.querySelector('th a')?.textContent ?? '';
    return number ? `Order ${number} for ${name}` : `The order for ${name}`;
  };

  /** An order for later reached the time to start it while this board was open. */
  function alertStartNow(row, dueText) {
    showNotice('info', [`${orderName(row)} is wanted ${dueText}: time to start it. `], { href: `#${row.id}`, text: 'Show it' },
      `OK: ${orderName(row)} is to be started`);
  }

  /**
   * An order the kitchen may be cooking was cancelled by someone else (the shop through the API,
   * another screen). The row itself has moved under the queue, where a slip can be undone.
   */
  function alertCancelled(row) {
    const why = row.querySelector('td > .why')?.textContent;
    showNotice('error', [`${orderName(row)} was cancelled${why ? ` (${why})` : ''} — stop preparing it. `], { href: `#${row.id}`, text: 'Show it' },
      `OK: ${orderName(row)} is cancelled`);
  }

  /** What a row shows of the order's own fields, by the name staff know each by. */
  const contentsOf = (row) => {
    const cell = row.cells[2];
    return {
      name: row.querySelector('th a')?.textContent,
      'mobile number': row.querySelector('th a[href^="tel:"]')?.textContent,
      // The items are the cell's first text; the note, the address and a customer's text follow.
      items: cell?.firstChild?.nodeType === window.Node.TEXT_NODE ? cell.firstChild.textContent : '',
      note: cell?.querySelector('.order-note')?.textContent ?? '',
      'delivery address': cell?.querySelector('.address')?.textContent ?? '',
      'scheduled time': row.dataset.scheduledFor ?? '',
    };
  };

  /**
   * An order on the queue was corrected elsewhere (the shop through the API, or on another screen):
   * one more pizza, another address. The kitchen may be cooking from what the row said before.
   */
  function alertCorrected(row, fields) {
    const list = fields.length === 1 ? fields[0] : `${fields.slice(0, -1).join(', ')} and ${fields.at(-1)}`;
    showNotice('info', [`${orderName(row)} was corrected: ${list}. `], { href: `#${row.id}`, text: 'Show it' },
      `OK: ${orderName(row)} was corrected`);
  }

  /**
   * A customer texted back (anything but an order: "please ring twice", "can I add a drink?"), with
   * a link to the order's row (or its page when it is not on this board).
   */
  function alertReply(counts) {
    const link = counts.querySelector('[data-newest-reply]');
    const { orderId, from, text } = link.dataset;
    const quote = document.createElement('q');
    quote.textContent = text;
    const row = orderId ? document.getElementById(`order-${orderId}`) : null;
    const goTo = row ? { href: `#${row.id}`, text: 'Show it' }
      : orderId ? { href: `/orders/${encodeURIComponent(orderId)}`, text: 'Open the order' } : { href: '/replies?unread=1', text: 'Open the texts' };
    showNotice('info', [`${from} texted: `, quote, ' '], goTo, `OK, read the text from ${from}`);
  }

  /** The newest unread reply the counts name (0 for none). */
  const newestReply = (counts) => Number(counts?.querySelector('[data-newest-reply]')?.dataset.newestReply ?? 0);

  function show(update) {
    const existing = document.getElementById(`order-${update.id}`);
    if (update.place === 'gone') {
      if (existing && !busyCell(existing)) existing.remove();
    } else {
      const fresh = rowFrom(update.html);
      const target = update.place === 'active' ? active : recentlyDone;
      if (existing?.parentElement === active && target !== active && fresh.querySelector('td > b.cancelled')) alertCancelled(fresh);
      if (existing?.parentElement === active && target === active) {
        const before = contentsOf(existing);
        const after = contentsOf(fresh);
        const corrected = Object.keys(after).filter((field) => before[field] !== after[field]);
        if (corrected.length > 0) alertCorrected(fresh, corrected);
      }
      if (existing) {
        const dueBefore = existing.parentElement === active ? dueAt(existing) : undefined;
        replace(existing, fresh);
        const row = document.getElementById(`order-${update.id}`);
        // A row comes back to the queue, or its time asked for was corrected.
        if (target === active && dueAt(row) !== dueBefore) placeActive(row);
        else if (target !== active && row.parentElement !== target) recentlyDone.append(row);
      } else if (!searching) {
        if (target === active) placeActive(fresh);
        else recentlyDone.append(fresh);
        if (update.created && soundToggle.checked) chime.play().catch(() => {});
      }
    }
    empty.hidden = active.rows.length + recentlyDone.rows.length > 0;
  }

  // Ages count up, late marks appear and delivered orders leave while the page stays open.
  function refreshAges() {
    const now = Date.now();
    // A new day on the kitchen's clock brings the orders for later that are due on it (and new
    // counts): the page is read again, once no status form is in use.
    if (now >= Date.parse(board.dataset.dayEnds) && ![...active.rows, ...recentlyDone.rows].some(busyCell)) {
      window.location.reload();
      return;
    }
    for (const row of [...recentlyDone.rows]) {
      if (now - Date.parse(row.dataset.doneAt) > doneVisibleMs && !busyCell(row)) row.remove();
    }
    // A pause of the online orders that ran out by itself: no change announces its end.
    const paused = document.querySelector('[data-paused-until]');
    if (paused && now >= Date.parse(paused.dataset.pausedUntil)) paused.remove();
    empty.hidden = active.rows.length + recentlyDone.rows.length > 0;
    for (const row of active.rows) {
      const minutes = Math.max(0, Math.floor((now - Date.parse(row.dataset.createdAt)) / 60_000));
      const late = now >= dueAt(row);
      // An order for later is started as long before its time as one for now takes (order-row.ejs).
      const startNow = Boolean(row.dataset.scheduledFor) && !late && now >= dueAt(row) - lateAfterMs;
      const age = row.querySelector('.age');
      if (!age) continue;
      // An order for later shows the time asked for ("for 19:30"), written by the server: kept.
      const dueTime = age.querySelector('.due-time');
      if (row.dataset.scheduledFor) age.replaceChildren(dueTime ?? '');
      else age.textContent = `${minutes} min`;
      if (late || startNow) {
        const mark = document.createElement('strong');
        mark.textContent = late ? 'late' : 'start now';
        if (startNow) mark.className = 'start';
        age.append(' ', mark);
      }
      if (startNow && !row.classList.contains('start-now')) alertStartNow(row, dueTime?.textContent ?? '');
      row.classList.toggle('late', late);
      row.classList.toggle('start-now', startNow);
    }
  }
  window.setInterval(refreshAges, 30_000);

  let newestReplySeen = newestReply(document.getElementById('board-counts'));
  const source = new window.EventSource(`/events?after=${encodeURIComponent(board.dataset.liveAfter)}`);
  source.addEventListener('order', (event) => show(JSON.parse(event.data)));
  source.addEventListener('counts', (event) => {
    const shown = document.getElementById('board-counts');
    const fresh = rowFrom(JSON.parse(event.data).html);
    // Only a reply newer than any this screen has shown: marking one read names an older one.
    if (newestReply(fresh) > Math.max(newestReply(shown), newestReplySeen)) alertReply(fresh);
    newestReplySeen = Math.max(newestReplySeen, newestReply(fresh));
    shown?.replaceWith(fresh);
  });
  // Too much was missed while away, or the session ended: the page itself knows what to do.
  source.addEventListener('reload', () => window.location.reload());
  // Signed out (idle timeout, session limit, sign-out in another tab): say so at the top, with a
  // link that signs in and comes back here, instead of a board that silently stops updating.
  const signedOut = () => {
    source.close();
    const banner = document.getElementById('signed-out');
    banner.hidden = false;
    banner.scrollIntoView({ block: 'nearest' });
  };
  source.addEventListener('session-ended', signedOut);
  source.addEventListener('error', () => {
    // EventSource retries by itself; it gives up only when the answer was not a stream: a redirect
    // to sign-in means the session is gone, anything else is worth a reload.
    if (source.readyState !== window.EventSource.CLOSED) return;
    window.fetch('/events', { redirect: 'manual', headers: { Accept: 'text/event-stream' } })
      .then((response) => {
        if (response.type === 'opaqueredirect') return signedOut();
        response.body?.cancel();
        window.location.reload();
      })
      .catch(() => window.location.reload());
  });
}
