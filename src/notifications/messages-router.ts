import { Router } from 'express';
import type { Response } from 'express';
import { sendCsv } from '../web/csv.ts';
import { addDays, daysBetween, isDay } from '../web/zoned-days.ts';
import type { ZonedCalendar } from '../web/zoned-days.ts';
import { dayLabel, renderMessageChart } from './message-chart.ts';
import { messageLogCsv } from './message-log-csv.ts';
import { messageStateLabels } from './message-states.ts';
import { outcomes } from './message-stats-repository.ts';
import type { MessageStatsRepository, MessageSummary, Outcome } from './message-stats-repository.ts';

/** The chart covers two weeks; the export at most a year and a day (see README: Messages). */
export const chartDays = 14;
export const maxExportDays = 366;

export const outcomeLabels: ReadonlyMap<Outcome, string> = new Map(outcomes.map((outcome) => [outcome, outcome === 'open' ? 'Still open' : messageStateLabels[outcome]]));

/** "14 s", "2 min 5 s", "1 h 3 min". */
export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min${whole % 60 ? ` ${whole % 60} s` : ''}`;
  const minutes = Math.round(whole / 60);
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

type ExportForm = { from: string; to: string; error?: string };

/** Reads the export's dates; the message says what to fix. */
export function parseExportRange(from: unknown, to: unknown): { from: string; to: string } | { error: string } {
  if (typeof from !== 'string' || typeof to !== 'string' || from === '' || to === '') return { error: 'Choose both a first and a last day.' };
  for (const [name, value] of [['first', from], ['last', to]] as const) {
    if (!isDay(value)) return { error: `The ${name} day is not a date: write it as year-month-day, e.g. 2026-11-23.` };
  }
  if (from > to) return { error: 'The first day is after the last day.' };
  if (daysBetween(from, to) > maxExportDays) return { error: `Export at most ${maxExportDays} days at a time.` };
  return { from, to };
}

export function createMessagesRouter(deps: { stats: MessageStatsRepository; calendar: ZonedCalendar; now?: () => Date }): Router {
  const { stats, calendar } = deps;
  const now = deps.now ?? (() => new Date());
  const router = Router();

  async function render(res: Response, until: string, form: ExportForm, error?: string) {
    const days = Array.from({ length: chartDays }, (_, index) => calendar.bounds(addDays(until, index - chartDays + 1)));
    const summary = await stats.summary(days);
    const today = calendar.dayOf(now());
    const next = addDays(until, chartDays);
    res.render('messages', {
      title: 'Messages',
      ...summary,
      outcomes,
      outcomeLabels,
      dayLabel,
      formatDuration,
      chart: renderMessageChart({ days: summary.days, outcomes, labels: outcomeLabels, description: describe(summary) }),
      first: days[0]!.day,
      until,
      earlier: `/messages?until=${addDays(until, -chartDays)}`,
      later: until < today ? `/messages?until=${next < today ? next : today}` : undefined,
      form,
      error,
    });
  }

  router.get('/messages', async (req, res) => {
    const today = calendar.dayOf(now());
    const defaults = { from: addDays(today, -chartDays + 1), to: today };
    const until = req.query.until;
    if (until === undefined) return render(res, today, defaults);
    if (typeof until !== 'string' || !isDay(until)) {
      res.status(400);
      return render(res, today, defaults, 'Choose the last day to show as year-month-day, e.g. 2026-11-23.');
    }
    await render(res, until, defaults);
  });

  // Without dates, the export covers the days the page shows by default: the last 14.
  router.get('/messages/log.csv', async (req, res) => {
    const today = calendar.dayOf(now());
    const given = req.query.from !== undefined || req.query.to !== undefined;
    const range = given ? parseExportRange(req.query.from, req.query.to) : { from: addDays(today, -chartDays + 1), to: today };
    if ('error' in range) {
      res.status(400);
      const typed = { from: typeof req.query.from === 'string' ? req.query.from : '', to: typeof req.query.to === 'string' ? req.query.to : '' };
      return render(res, today, { ...typed, error: range.error });
    }
    const pages = stats.log(calendar.bounds(range.from).from, calendar.bounds(range.to).to);
    await sendCsv(res, `messages-${range.from}-to-${range.to}.csv`, messageLogCsv(pages, calendar));
  });

  return router;
}

function describe(summary: MessageSummary): string {
  const first = dayLabel(summary.days[0]!.day).date;
  const last = dayLabel(summary.days.at(-1)!.day).date;
  const total = summary.days.reduce((sum, day) => sum + day.total, 0);
  if (total === 0) return `No text messages were asked for from ${first} to ${last}.`;
  const parts = outcomes.map((outcome) => `${summary.totals.get(outcome)} ${outcomeLabels.get(outcome)!.toLowerCase()}`);
  return `Stacked bars of the ${total} text messages asked for each day from ${first} to ${last}, by outcome: ${parts.join(', ')}. The table below has the numbers for each day.`;
}
