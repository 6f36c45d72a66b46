import { Router } from 'express';
import type { Response } from 'express';
import createError from 'http-errors';
import { z } from 'zod';
import { setFlash } from '../web/flash.ts';
import type { ReplyRepository } from './reply-repository.ts';

const listQuery = z.object({
  unread: z.literal('1', { error: 'Show all texts, or unread=1 for the unread ones' }).optional(),
  before: z.coerce.number({ error: 'That page link is broken; start from the newest texts' }).int().positive().optional(),
});

const readForm = z.object({
  // The list the page showed, to go back to it.
  unread: z.literal('1').optional(),
});

// Mark all read: up to the newest text the page showed, so one that came in since stays unread.
const readAllForm = readForm.extend({
  upTo: z.coerce.number({ error: 'the form did not say which texts it showed; reload the page and try again' }).int().positive(),
});

/** The Replies page: every text customers sent back, newest first, and marking them read. */
export function createRepliesRouter(deps: { replies: ReplyRepository }): Router {
  const { replies } = deps;
  const router = Router();

  const listAddress = (unreadOnly: boolean, before?: number) => {
    const query = new URLSearchParams();
    if (unreadOnly) query.set('unread', '1');
    if (before !== undefined) query.set('before', String(before));
    const text = query.toString();
    return text ? `/replies?${text}` : '/replies';
  };

  async function render(res: Response, options: { unreadOnly: boolean; before?: number }) {
    const page = await replies.page(options);
    const { count } = await replies.unread();
    res.render('replies', {
      title: 'Texts from customers',
      replies: page.replies,
      unreadCount: count,
      unreadOnly: options.unreadOnly,
      firstPage: options.before === undefined ? undefined : listAddress(options.unreadOnly),
      nextPage: page.next === undefined ? undefined : listAddress(options.unreadOnly, page.next),
      allAddress: listAddress(false),
      unreadAddress: listAddress(true),
    });
  }

  router.get('/replies', async (req, res) => {
    const query = listQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400);
      res.locals.flash = { kind: 'error', message: query.error.issues[0]!.message };
      return render(res, { unreadOnly: false });
    }
    await render(res, { unreadOnly: query.data.unread === '1', before: query.data.before });
  });

  router.post('/replies/read', async (req, res) => {
    const form = readAllForm.safeParse(req.body ?? {});
    if (!form.success) throw createError(400, `Nothing was marked read: ${form.error.issues[0]!.message}.`);
    const marked = await replies.markAllRead(form.data.upTo, res.locals.currentStaff!.id);
    setFlash(req, marked > 0
      ? { kind: 'success', message: `${marked === 1 ? '1 text' : `${marked} texts`} marked read.` }
      : { kind: 'info', message: 'Every text was already marked read; nothing changed.' });
    res.redirect(303, listAddress(form.data.unread === '1'));
  });

  router.post('/replies/:replyId/read', async (req, res) => {
    const id = /^\d{1,15}$/.test(req.params.replyId) ? Number(req.params.replyId) : undefined;
    const reply = id === undefined ? undefined : await replies.findById(id);
    if (!reply) throw createError(404, 'There is no text with that id.');
    const form = readForm.safeParse(req.body ?? {});
    const from = reply.customerName ?? reply.phone;
    const marked = await replies.markRead(reply.id, res.locals.currentStaff!.id);
    setFlash(req, marked
      ? { kind: 'success', message: `The text from ${from} is marked read.` }
      : { kind: 'info', message: `The text from ${from} was already marked read; nothing changed.` });
    res.redirect(303, listAddress(form.success && form.data.unread === '1'));
  });

  return router;
}
