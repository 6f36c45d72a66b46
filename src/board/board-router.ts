import { Router } from 'express';
import type { Application, Request, Response } from 'express';
import ejs from 'ejs';
import createError from 'http-errors';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { Message, MessageRepository } from '../notifications/message-repository.ts';
import type { ReplyRepository, UnreadReplies } from '../notifications/reply-repository.ts';
import type { Order } from '../orders/order-repository.ts';
import { finishedStatuses, isFinished } from '../orders/order-status.ts';
import type { FinishedStatus, OrderStatus } from '../orders/order-status.ts';
import { sendCsv } from '../web/csv.ts';
import { hasFlash } from '../web/flash.ts';
import { encodePage, pageEncodingFor } from '../web/page-compression.ts';
import type { PageEncoding } from '../web/page-compression.ts';
import { keepIdleTimer } from '../web/session.ts';
import type { ZonedCalendar } from '../web/zoned-days.ts';
import { addDays, nameOfDay } from '../web/zoned-days.ts';
import type { BoardRepository, DoneCursor } from './board-repository.ts';
import { doneCsv } from './done-csv.ts';
import { coalesce, noOrder } from './live-board.ts';
import type { IntakePause, IntakePauseRepository } from '../orders/intake-pauses.ts';
import type { BoardEvent, LiveBoard } from './live-board.ts';
import { dueAt, isForLaterDay } from '../orders/schedule.ts';

const search = z.string().trim().max(100, 'Search for at most 100 characters').optional();
const boardQuery = z.object({ q: search });
const doneQuery = z.object({
  q: search,
  day: z.string().optional(),
  status: z.enum(finishedStatuses, { error: `Show ${finishedStatuses.join(' or ')} orders` }).optional(),
  before: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z_\d{1,18}$/, 'That page link is broken; start from the newest orders').optional(),
});

export type BoardView = ReturnType<typeof createBoardView>;

/** What a refused form had in a row, kept when the board is shown again: the status, the minutes or reason typed, the box. */
export type RowChoice = { status: OrderStatus; delayMinutes?: string; reason?: string; textCustomer?: boolean };

/** The rows as HTML, with the CSRF marker where each form's token goes. */
type RenderedBoard = { active: Order[]; recentlyDone: Order[]; counts: Record<OrderStatus, number>; unread: UnreadReplies; pause: IntakePause | undefined; rows: { active: string; recentlyDone: string } };

/**
 * What the board page shows, computed in a fixed number of indexed queries — and, for the plain
 * board, once per change rather than once per request: the rows are rendered once for each board
 * version (the newest board_events id, which every write to orders, status changes and messages
 * bumps, in any process) and minute (rows show their age and the late mark), then shared by every
 * request and live stream. The admin's "Text the customer" defaults are part of the version too.
 * Rows are rendered from the order, its latest message, the time and the
 * app's settings only — never from a request's locals — with a marker where a form's CSRF token
 * goes; each response splices in its own session's token.
 */
export function createBoardView(deps: { board: BoardRepository; messages: MessageRepository; replies: ReplyRepository; live: LiveBoard; settings: Config['board']; days: ZonedCalendar; textDefaults: () => Promise<ReadonlySet<OrderStatus>>; intake: IntakePauseRepository; now?: () => Date }) {
  const { board, messages, replies, live, settings, days, textDefaults, intake } = deps;
  const now = deps.now ?? (() => new Date());
  // Random per process, so no text typed into an order can pose as the marker.
  const csrfMarker = `csrf-marker-${randomBytes(16).toString('hex')}`;
  let cached: { key: string; board: Promise<RenderedBoard> } | undefined;
  const liveUpdates = new Map<string, Promise<string>>();
  // Whole board pages of the current version, per session (see render).
  const pages = new Map<string, KeptPage>();
  let pagesVersion = '';

  /** Where an order belongs on the board right now: the queue, the "just finished" rows, or gone. */
  function placeOf(order: Order, at: Date): 'active' | 'done' | 'gone' {
    // An order for a later day is not on today's queue (the counts say how many there are).
    if (isForLaterDay(order.scheduledFor, days, at)) return 'gone';
    if (!isFinished(order.status)) return 'active';
    return Date.parse(order.updatedAt) >= at.getTime() - settings.doneVisibleMinutes * 60_000 ? 'done' : 'gone';
  }

  const versionKey = (eventId: number, at: Date, defaults: ReadonlySet<OrderStatus>) => `${eventId}:${Math.floor(at.getTime() / 60_000)}:${[...defaults].join(',')}`;

  function renderRow(app: Application, order: Order, message: Message | undefined, at: Date, defaults: ReadonlySet<OrderStatus>, choices?: ReadonlyMap<string, RowChoice>): string {
    return renderNow(app, 'partials/order-row', { order, message, now: at.getTime(), choices, textDefaults: defaults, csrfToken: () => csrfMarker });
  }

  async function renderBoard(app: Application, at: Date, defaults: ReadonlySet<OrderStatus>, searchText?: string, choices?: ReadonlyMap<string, RowChoice>): Promise<RenderedBoard> {
    const found = await board.board({ doneSince: new Date(at.getTime() - settings.doneVisibleMinutes * 60_000), laterFrom: days.of(at).to, search: searchText });
    // The queue in the order the orders are due: an order for later waits below those due before it.
    const active = found.active.toSorted((a, b) => dueAt(a, settings.lateAfterMinutes) - dueAt(b, settings.lateAfterMinutes));
    const { recentlyDone } = found;
    const latestMessages = await messages.latestFor([...active, ...recentlyDone].map((order) => order.id));
    const counts = await board.counts(days.of(at));
    const unread = await replies.unread();
    // A pause of the online orders shows in the counts' line; its end by itself comes with the minute.
    const pause = await intake.current(at);
    const rows = (orders: Order[]) => orders.map((order) => `${renderRow(app, order, latestMessages.get(order.id), at, defaults, choices)}\n`).join('');
    return { active, recentlyDone, counts, unread, pause, rows: { active: rows(active), recentlyDone: rows(recentlyDone) } };
  }

  /** The session's own token in place of every marker. */
  function withToken(html: string, res: Response): string {
    return html.includes(csrfMarker) ? html.replaceAll(csrfMarker, (res.locals.csrfToken as () => string)()) : html;
  }

  return {
    placeOf,
    now,
    days,
    /** The statuses whose "Text the customer" box starts ticked: read once per page or live batch, not per row. */
    textDefaults,
    withToken,
    /**
     * Renders the board, optionally narrowed by a search; `choices` keeps what a row's form had but
     * did not save, so a refused form loses nothing. A search or unsaved choices render afresh.
     */
    async render(res: Response, searchText?: string, choices?: ReadonlyMap<string, RowChoice>): Promise<void> {
      const at = now();
      // Read before the rows, so a change between the two is sent again rather than missed.
      const lastEventId = await live.newestEventId();
      const defaults = await textDefaults();
      let shown: RenderedBoard;
      // The board's version when this is the plain board, which every session sees alike.
      let version: string | undefined;
      if (searchText || (choices && choices.size > 0)) {
        shown = await renderBoard(res.app, at, defaults, searchText, choices);
      } else {
        const key = versionKey(lastEventId, at, defaults);
        version = key;
        // The promise is cached, so requests arriving while the board renders share that rendering.
        if (cached?.key !== key) {
          const rendering = { key, board: renderBoard(res.app, at, defaults) };
          cached = rendering;
          rendering.board.catch(() => {
            if (cached === rendering) cached = undefined;
          });
        }
        shown = await cached.board;
      }
      // The plain board as a whole page, for one signed-in session, is the same bytes until the
      // board changes: kept per version, already compressed, so a tablet's reloads cost no render
      // and no compression. A page with a flash to show (and take) is rendered as usual.
      const staff = res.locals.currentStaff;
      const pageKey = version !== undefined && staff && res.statusCode === 200 && res.locals.flash === undefined && !hasFlash(res.req)
        ? `${staff.id}:${staff.role}:${staff.username}:${(res.locals.csrfToken as () => string)()}` : undefined;
      if (pageKey !== undefined) {
        if (pagesVersion !== version) {
          pages.clear();
          pagesVersion = version!;
        }
        const page = pages.get(pageKey);
        if (page) return sendPage(res, page);
      }
      res.render('board', {
        title: 'Orders',
        active: shown.active,
        recentlyDone: shown.recentlyDone,
        rows: shown.rows,
        counts: shown.counts,
        unread: shown.unread,
        pause: shown.pause,
        lastEventId,
        search: searchText,
        choices,
        textDefaults: defaults,
        now: at.getTime(),
        // Where the kitchen's day ends: the board reads itself again then, for the orders of the new day.
        dayEnds: days.of(at).to.toISOString(),
      }, (error: Error | null, html?: string) => {
        if (error) return res.req.next!(error);
        const kept: KeptPage = { html: withToken(html ?? '', res), encoded: new Map() };
        if (pageKey !== undefined && pagesVersion === version) {
          if (pages.size >= maxPages) pages.delete(pages.keys().next().value!);
          pages.set(pageKey, kept);
        }
        sendPage(res, kept);
      });
    },

    /**
     * What the live streams send for a batch of events — each changed order's row, then the
     * counts — as one text, written once for all of them per batch and minute; each stream splices
     * in its session's token (withToken).
     */
    async liveUpdate(app: Application, events: BoardEvent[], at: Date): Promise<string> {
      const defaults = await textDefaults();
      const key = `${events[0]!.id}-${events.at(-1)!.id}:${versionKey(live.lastSeenEventId(), at, defaults)}`;
      let text = liveUpdates.get(key);
      if (text === undefined) {
        const writing = (async () => {
          let written = '';
          for (const news of coalesce(events)) {
            // A text from a number on no order changes only the counts (below). An id with no data
            // moves the stream's Last-Event-ID on without dispatching an event (the SSE spec).
            if (news.orderId === noOrder) {
              written += `id: ${news.eventId}\n\n`;
              continue;
            }
            const order = await board.findById(news.orderId);
            const place = order ? placeOf(order, at) : 'gone';
            const html = order && place !== 'gone' ? renderRow(app, order, (await messages.latestFor([order.id])).get(order.id), at, defaults) : '';
            written += `id: ${news.eventId}\nevent: order\ndata: ${JSON.stringify({ id: news.orderId, place, created: news.created, html })}\n\n`;
          }
          const counts = renderNow(app, 'partials/board-counts', { counts: await board.counts(days.of(at)), unread: await replies.unread(), pause: await intake.current(at) });
          return `${written}event: counts\ndata: ${JSON.stringify({ html: counts })}\n\n`;
        })();
        text = writing;
        // Only the newest few are asked for again: every stream gets the same batches (the
        // promise is kept, so streams asking at the same moment share one rendering).
        if (liveUpdates.size >= 64) liveUpdates.delete(liveUpdates.keys().next().value!);
        liveUpdates.set(key, writing);
        writing.catch(() => liveUpdates.delete(key));
      }
      return text;
    },
  };
}

/** A board page as sent to one session, in each encoding browsers asked for, with its ETag. */
type KeptPage = { html: string; encoded: Map<PageEncoding, { bytes: Buffer; etag: string | undefined }> };

// A kitchen has a few screens; more sessions than this on one version just render again.
const maxPages = 32;

function sendPage(res: Response, page: KeptPage): void {
  const encoding = pageEncodingFor(res.req);
  let kept = page.encoded.get(encoding);
  if (!kept) {
    const bytes = encodePage(page.html, encoding);
    // The ETag Express would compute for these bytes on every send, computed once.
    const etag = (res.app.get('etag fn') as ((body: Buffer, encoding?: string) => string) | undefined)?.(bytes);
    kept = { bytes, etag };
    page.encoded.set(encoding, kept);
  }
  res.set('Content-Type', 'text/html; charset=utf-8');
  if (kept.etag) res.set('ETag', kept.etag);
  // Already encoded: the compression middleware, where it runs (refused forms re-render the board
  // under /orders), passes it through.
  res.vary('Accept-Encoding');
  if (encoding !== 'identity') res.set('Content-Encoding', encoding);
  res.send(kept.bytes);
}

/** The board itself (GET /, a search included): its pages are sent compressed by sendPage. */
export function isBoardPage(req: Request): boolean {
  return req.path === '/' && (req.method === 'GET' || req.method === 'HEAD');
}

/**
 * Renders a view to a string with the app's locals and view settings, as res.render would, but
 * synchronously (Express defers every render callback to the next tick; EJS itself does not).
 */
function renderNow(app: Application, view: string, locals: Record<string, unknown>): string {
  let result: { error: Error | null; html?: string } | undefined;
  ejs.renderFile(join(app.get('views') as string, `${view}.ejs`), { ...app.locals, settings: app.settings, ...locals }, (error: Error | null, html?: string) => { result = { error, html }; });
  if (!result) throw new Error(`${view} did not render synchronously`);
  if (result.error) throw result.error;
  return result.html ?? '';
}

export function createBoardRouter(deps: { view: BoardView; board: BoardRepository; messages: MessageRepository; live: LiveBoard; sessionMaxHours: number; heartbeatMs?: number }): Router {
  const { view, board, messages, live } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 20_000;
  const router = Router();

  router.get('/', async (req, res) => {
    const query = boardQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400);
      res.locals.flash = { kind: 'error', message: `${query.error.issues[0]!.message}.` };
      return view.render(res);
    }
    await view.render(res, query.data.q || undefined);
  });

  /** What the Done view and its download show (a day in TIME_ZONE, today by default), or what is wrong with the address. */
  function readDone(req: Request, at: Date) {
    const query = doneQuery.safeParse(req.query);
    if (!query.success) return { problem: query.error.issues[0]!.message, of: 'query' as const };
    const day = view.days.parse(query.data.day ?? view.days.dayOf(at));
    if (!day) return { problem: 'Choose a day as year-month-day, e.g. 2026-11-23', of: 'day' as const };
    return { ...query.data, day };
  }

  // The day's finished orders as CSV, as the Done view shows them (its search and status included).
  router.get('/done.csv', async (req, res) => {
    const done = readDone(req, view.now());
    if ('problem' in done) throw createError(400, `Nothing to download: ${done.problem}.`);
    const { day, q, status } = done;
    await sendCsv(res, `done-${day.day}${status ? `-${status}` : ''}.csv`, doneCsv(board.doneDay({ ...day, search: q || undefined, status }), view.days));
  });

  router.get('/done', async (req, res) => {
    const at = view.now();
    const done = readDone(req, at);
    const typed = { search: typeof req.query.q === 'string' ? req.query.q : '', day: typeof req.query.day === 'string' ? req.query.day : view.days.dayOf(at) };
    const empty = { title: 'Done', ...typed, orders: [], latestMessages: new Map(), cursor: undefined, nextPage: undefined, firstPage: '/done', now: at.getTime() };
    if ('problem' in done && done.of === 'query') {
      res.status(400);
      res.locals.flash = { kind: 'error', message: `${done.problem}.` };
      return res.render('done', empty);
    }
    if ('problem' in done) return res.status(400).render('done', { ...empty, dayError: `${done.problem}.` });

    const { day, q, status, before } = done;
    const cursor = before ? parseCursor(before) : undefined;
    const page = await board.done({ ...day, search: q || undefined, status, cursor });
    // Every link keeps the search and the status shown, unless it says otherwise.
    // (A status of null: every status.)
    const link = (before?: DoneCursor, shownDay = day.day, shownStatus: FinishedStatus | null | undefined = status, path = '/done') => `${path}?${new URLSearchParams({
      day: shownDay,
      ...(q ? { q } : {}),
      ...(shownStatus ? { status: shownStatus } : {}),
      ...(before ? { before: `${before.at}_${before.position}` } : {}),
    })}`;
    // A day at a time, keeping the search: back through the past, forward up to today.
    const today = view.days.dayOf(at);
    const nextDay = addDays(day.day, 1);
    res.render('done', {
      title: 'Done',
      search: q ?? '',
      day: view.days.dayOf(day.from),
      orders: page.orders,
      latestMessages: await messages.latestFor(page.orders.map((order) => order.id)),
      cursor,
      nextPage: page.next ? link(page.next) : undefined,
      firstPage: link(),
      dayName: nameOfDay(day.day),
      dayCounts: await board.doneCounts(day),
      download: link(undefined, day.day, status, '/done.csv'),
      statusFilter: status,
      // The day's totals lead to the day's orders of that status (and back to all of them).
      statusLinks: Object.fromEntries(finishedStatuses.map((shown) => [shown, link(undefined, day.day, shown)])),
      allStatuses: link(undefined, day.day, null),
      previousDay: link(undefined, addDays(day.day, -1)),
      followingDay: nextDay <= today ? link(undefined, nextDay) : undefined,
      textDefaults: await view.textDefaults(),
      now: at.getTime(),
    });
  });

  // Orders for a later day (pre-orders), off the queue until their day: what is coming, soonest first.
  router.get('/later', async (_req, res) => {
    res.render('later', { title: 'Orders for later days', orders: await board.laterDays(view.days.of(view.now()).to) });
  });

  // Server-Sent Events: the board's rows as they change, rendered by the same partial as the page.
  // https://html.spec.whatwg.org/multipage/server-sent-events.html
  router.get('/events', keepIdleTimer, async (req, res) => {
    const { staffId, signedInAt } = req.session;
    const resumeFrom = eventIdFrom(req);
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });

    let sentUpTo = 0;
    let sending = Promise.resolve();
    const push = (events: BoardEvent[]) => {
      sending = sending.then(() => send(events)).catch((error: unknown) => req.log.warn({ err: error }, 'could not send a board update'));
    };

    const send = async (events: BoardEvent[]) => {
      write(view.withToken(await view.liveUpdate(req.app, events, view.now()), res));
    };
    const write = (text: string) => {
      if (!res.writableEnded && !res.destroyed) res.write(text);
    };

    // Fixed once the point below is known; from then on the hub hands each event once, and on
    // PostgreSQL may hand a smaller id after a larger one (its transaction committed later), so only
    // what the page or the replay already covered is left out, not everything below the last sent.
    let floor: number | undefined = undefined;
    const unsubscribe = live.subscribe((events) => {
      const fresh = events.filter((event) => event.id > (floor ?? sentUpTo));
      if (fresh.length === 0) return;
      if (floor === undefined) sentUpTo = Math.max(sentUpTo, fresh.at(-1)!.id);
      push(fresh);
    });
    // Until this is known, batches from the hub are sent as they come (a row sent twice is the
    // same row); afterwards only what is newer.
    let closed = false;
    req.on('close', () => {
      closed = true;
    });
    if (resumeFrom === undefined) {
      sentUpTo = Math.max(sentUpTo, await live.newestEventId());
    } else {
      const missed = await live.replay(resumeFrom);
      if (missed) {
        sentUpTo = Math.max(sentUpTo, missed.at(-1)?.id ?? resumeFrom);
        if (missed.length > 0) push(missed);
      } else {
        sentUpTo = Math.max(sentUpTo, await live.newestEventId());
        write('event: reload\ndata: {}\n\n');
      }
    }
    floor = sentUpTo;
    if (closed) {
      unsubscribe();
      return;
    }
    // Only now does the board learn the stream is open: a change written (by any process) after it
    // hears so is after the point fixed above, so it is sent, never skipped.
    res.flushHeaders();
    write('retry: 2000\n\n');

    // The heartbeat keeps proxies from closing an idle stream, and ends the stream when the session
    // has ended (idle timeout, sign-out, session limit): the stream itself never extends it.
    const heartbeat = setInterval(() => {
      req.sessionStore.get(req.sessionID, (error, data) => {
        const valid = !error && data?.staffId === staffId && signedInAt !== undefined && Date.now() - signedInAt <= deps.sessionMaxHours * 3_600_000;
        if (valid) return write(': heartbeat\n\n');
        write('event: session-ended\ndata: {}\n\n');
        stop();
      });
    }, heartbeatMs);
    const untrack = live.track(() => stop());
    function stop() {
      clearInterval(heartbeat);
      unsubscribe();
      untrack();
      if (!res.writableEnded) res.end();
    }
    req.on('close', stop);
  });

  return router;
}

function parseCursor(text: string): DoneCursor {
  const [at, position] = text.split('_');
  return { at: at!, position: Number(position) };
}

/** The browser's Last-Event-ID on a reconnect, or the page's own event id (?after=) on the first connect. */
function eventIdFrom(req: Request): number | undefined {
  const raw = req.get('last-event-id') ?? (typeof req.query.after === 'string' ? req.query.after : undefined);
  return raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}
