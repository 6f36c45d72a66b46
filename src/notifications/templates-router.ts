import { Router } from 'express';
import type { Request, Response } from 'express';
import createError from 'http-errors';
import { z } from 'zod';
import { countSegments, describeCount, partsWarningAbove } from '../../public/sms-text.js';
import { orderStatuses } from '../orders/order-status.ts';
import type { OrderStatus } from '../orders/order-status.ts';
import { setFlash } from '../web/flash.ts';
import { defaultTemplates, defaultTextName, normalizeTemplate, renderTemplate, sampleValues, templateMaxLength, templateProblem, usablePlaceholders } from './message-templates.ts';
import type { TemplateRepository, TemplateVersion } from './template-repository.ts';
import { quickAnswerLimits } from './quick-answer-repository.ts';
import type { QuickAnswerRepository } from './quick-answer-repository.ts';

// One answer per line; blank lines are left out. Each at most one SMS part as written, with the
// texts' placeholders ({name}, {trackingLink}, …), filled in for the order on its page.
const quickAnswersForm = (publicUrl: string | undefined) => z.object({
  answers: z.string({ error: 'write the answers, one per line' })
    .transform((text) => text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ''))
    .superRefine((answers, context) => {
      if (answers.length > quickAnswerLimits.count) context.addIssue({ code: 'custom', message: `at most ${quickAnswerLimits.count} answers (this list has ${answers.length})` });
      for (const [index, answer] of answers.entries()) {
        if (answer.length > quickAnswerLimits.length) {
          context.addIssue({ code: 'custom', message: `answer ${index + 1} has ${answer.length} characters; keep each to ${quickAnswerLimits.length}, one text message` });
        }
        const problem = templateProblem(answer, publicUrl);
        if (problem) context.addIssue({ code: 'custom', message: `answer ${index + 1}: ${problem.replace(/\.$/, '')}` });
      }
    }),
});

declare module 'express-serve-static-core' {
  interface Locals {
    templateStatus?: OrderStatus;
  }
}

/** What one status's editor shows: the text in the field, its preview and count, an error. */
type Editor = {
  status: OrderStatus;
  text: string;
  preview: string;
  count: string;
  tooManyParts: boolean;
  error?: string;
  isGuideText: boolean;
};

/** The admin page where the text customers get for each status is edited, previewed and restored. */
export function createTemplatesRouter(deps: { templates: TemplateRepository; quickAnswers: QuickAnswerRepository; restaurantName: string; publicUrl: string | undefined }): Router {
  const { templates, quickAnswers, restaurantName, publicUrl } = deps;
  const router = Router();
  router.use('/templates', (_req, res, next) => {
    if (res.locals.currentStaff?.role !== 'admin') throw createError(403, 'Only an admin can edit the message templates.');
    next();
  });

  router.param('status', (_req, res, next, value: string) => {
    const status = orderStatuses.find((candidate) => candidate === value);
    if (!status) throw createError(404, `There is no order status ${value}.`);
    res.locals.templateStatus = status;
    next();
  });

  const editorFor = (status: OrderStatus, text: string, error?: string): Editor => {
    const preview = renderTemplate(text, sampleValues(status, restaurantName, publicUrl));
    const count = countSegments(preview);
    return { status, text, preview, count: describeCount(count), tooManyParts: count.parts > partsWarningAbove, error, isGuideText: text === defaultTemplates[status] };
  };

  /**
   * The page with every status's current text, except `typed` (what an admin sent) for one, and the
   * quick answers as saved or as `typedAnswers` were sent.
   */
  const renderPage = async (res: Response, typed?: { status: OrderStatus; text: string; error?: string; previewed?: boolean }, typedAnswers?: { text: string; error: string }) => {
    const editors: Editor[] = [];
    const versions = new Map<OrderStatus, TemplateVersion[]>();
    for (const status of orderStatuses) {
      editors.push(typed?.status === status ? editorFor(status, typed.text, typed.error) : editorFor(status, await templates.textFor(status)));
      versions.set(status, await templates.versions(status));
    }
    res.render('templates', {
      title: 'Message templates',
      editors,
      versions,
      previewed: typed?.previewed ? typed.status : undefined,
      placeholders: usablePlaceholders(publicUrl),
      sample: sampleValues('delayed', restaurantName, publicUrl),
      partsWarningAbove,
      maxLength: templateMaxLength,
      defaultTemplates,
      defaultTextName,
      quickAnswers: typedAnswers ?? { text: (await quickAnswers.list()).join('\n') },
      quickAnswerLimits,
    });
  };

  const typedText = (req: Request): string => {
    const text = (req.body as Record<string, unknown> | undefined)?.text;
    return typeof text === 'string' ? normalizeTemplate(text) : '';
  };

  router.get('/templates', (_req, res) => renderPage(res));

  // Before /templates/:status, which would take "quick-answers" for a status.
  router.post('/templates/quick-answers', async (req, res) => {
    const parsed = quickAnswersForm(publicUrl).safeParse(req.body ?? {});
    if (!parsed.success) {
      const sent = (req.body as Record<string, unknown> | undefined)?.answers;
      return renderPage(res.status(400), undefined, { text: typeof sent === 'string' ? sent : '', error: `Quick answers not saved: ${parsed.error.issues[0]!.message}.` });
    }
    const answers = parsed.data.answers;
    if (!(await quickAnswers.replace(answers))) {
      setFlash(req, { kind: 'info', message: 'The quick answers are unchanged.' });
      return res.redirect(303, '/templates#quick-answers');
    }
    req.log.info({ by: res.locals.currentStaff!.id, count: answers.length }, 'quick answers saved');
    setFlash(req, { kind: 'success', message: answers.length === 0 ? 'Saved: no quick answers are offered on an order’s page.' : `Saved ${answers.length === 1 ? 'the quick answer' : `${answers.length} quick answers`}; an order’s page offers ${answers.length === 1 ? 'it' : 'them'} from now on.` });
    res.redirect(303, '/templates#quick-answers');
  });

  router.post('/templates/:status', async (req, res) => {
    const status = res.locals.templateStatus!;
    const text = typedText(req);
    const error = templateProblem(text, publicUrl);
    if (error) return renderPage(res.status(400), { status, text, error });
    if (!(await templates.save({ status, body: text, savedBy: res.locals.currentStaff!.id }))) {
      setFlash(req, { kind: 'info', message: `The ${status} text is unchanged: that is already the text customers get.` });
      return res.redirect(303, `/templates#template-${status}`);
    }
    req.log.info({ by: res.locals.currentStaff!.id, status }, 'message template saved');
    setFlash(req, { kind: 'success', message: `Saved the ${status} text; the next ${status} message uses it.`, details: countDetails(status, text) });
    res.redirect(303, `/templates#template-${status}`);
  });

  router.post('/templates/:status/preview', async (req, res) => {
    const status = res.locals.templateStatus!;
    const text = typedText(req);
    const error = templateProblem(text, publicUrl);
    await renderPage(res.status(error ? 400 : 200), { status, text, error, previewed: true });
  });

  router.post('/templates/:status/restore', async (req, res) => {
    const status = res.locals.templateStatus!;
    if (!(await templates.save({ status, body: defaultTemplates[status], savedBy: res.locals.currentStaff!.id }))) {
      setFlash(req, { kind: 'info', message: `The ${status} text already is ${defaultTextName(status)}.` });
      return res.redirect(303, `/templates#template-${status}`);
    }
    req.log.info({ by: res.locals.currentStaff!.id, status }, 'message template restored to its default text');
    setFlash(req, { kind: 'success', message: `The ${status} text is ${defaultTextName(status)} again; the earlier versions stay in its history.`, details: countDetails(status, defaultTemplates[status]) });
    res.redirect(303, `/templates#template-${status}`);
  });

  /** The server's own count of what was saved, for the flash after a save. */
  function countDetails(status: OrderStatus, text: string): string[] {
    const count = countSegments(renderTemplate(text, sampleValues(status, restaurantName, publicUrl)));
    const details = [`For a sample order: ${describeCount(count)}`];
    if (count.parts > partsWarningAbove) details.push(`That is more than ${partsWarningAbove} parts: each part is billed as one message. A shorter text costs less.`);
    return details;
  }

  return router;
}
