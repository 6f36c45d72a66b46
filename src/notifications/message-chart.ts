import type { DayOutcomes, Outcome } from './message-stats-repository.ts';

// The Messages page's chart as SVG text, drawn on the server: no chart library, no script, and
// colours from app.css classes (presentation, not `style` attributes, which the strict CSP refuses),
// so the dark scheme applies to it like to the rest of the page.

const width = 720;
const height = 320;
const plot = { left: 48, right: 12, top: 48, bottom: 44 };
const plotWidth = width - plot.left - plot.right;
const plotHeight = height - plot.top - plot.bottom;
const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
const round = (value: number) => Math.round(value * 100) / 100;

/** "Mon" and "23 Nov" for a day "2026-11-23". */
export function dayLabel(day: string): { weekday: string; date: string } {
  const date = new Date(`${day}T00:00:00Z`);
  return { weekday: weekdays[date.getUTCDay()]!, date: `${date.getUTCDate()} ${months[date.getUTCMonth()]}` };
}

/** The y axis: a round step (1, 2 or 5 × 10ⁿ) giving at most four intervals, and the top it reaches. */
export function axisFor(largest: number): { step: number; top: number } {
  const rough = Math.max(largest, 1) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= rough)!);
  return { step, top: step * Math.max(1, Math.ceil(largest / step)) };
}

export type ChartInput = {
  days: readonly DayOutcomes[];
  outcomes: readonly Outcome[];
  labels: ReadonlyMap<Outcome, string>;
  /** Names the chart for assistive technology; the numbers themselves are in the page's table. */
  description: string;
};

export function renderMessageChart(input: ChartInput): string {
  const { days, outcomes, labels } = input;
  const { step, top } = axisFor(Math.max(0, ...days.map((day) => day.total)));
  const scale = plotHeight / top;
  const slot = plotWidth / days.length;
  const barWidth = round(slot * 0.64);
  const baseline = plot.top + plotHeight;
  const parts: string[] = [];

  parts.push(`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="messages-chart-title messages-chart-desc" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<title id="messages-chart-title">Text messages per day, by outcome</title>`);
  parts.push(`<desc id="messages-chart-desc">${escapeXml(input.description)}</desc>`);

  // Legend across the top.
  let legendX = plot.left;
  for (const outcome of outcomes) {
    const label = labels.get(outcome)!;
    parts.push(`<g class="chart-legend"><rect class="chart-${outcome}" x="${legendX}" y="10" width="14" height="14" rx="2"/><text x="${legendX + 20}" y="22">${escapeXml(label)}</text></g>`);
    legendX += 20 + label.length * 8 + 18;
  }

  // Grid lines and the y axis's numbers.
  for (let value = 0; value <= top; value += step) {
    const y = round(baseline - value * scale);
    parts.push(`<line class="chart-grid" x1="${plot.left}" x2="${width - plot.right}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="chart-axis" x="${plot.left - 8}" y="${round(y + 4)}" text-anchor="end">${value}</text>`);
  }

  days.forEach((day, index) => {
    const x = round(plot.left + index * slot + (slot - barWidth) / 2);
    const { weekday, date } = dayLabel(day.day);
    let y = baseline;
    for (const outcome of outcomes) {
      const count = day.counts.get(outcome) ?? 0;
      if (count === 0) continue;
      const barHeight = count * scale;
      y -= barHeight;
      parts.push(`<rect class="chart-bar chart-${outcome}" data-day="${day.day}" data-outcome="${outcome}" x="${x}" y="${round(y)}" width="${barWidth}" height="${round(barHeight)}"><title>${weekday} ${date}: ${count} ${escapeXml(labels.get(outcome)!.toLowerCase())}</title></rect>`);
    }
    const middle = round(plot.left + index * slot + slot / 2);
    parts.push(`<text class="chart-axis" x="${middle}" y="${baseline + 18}" text-anchor="middle">${weekday}</text>`);
    parts.push(`<text class="chart-axis" x="${middle}" y="${baseline + 36}" text-anchor="middle">${date}</text>`);
  });
  parts.push(`<line class="chart-baseline" x1="${plot.left}" x2="${width - plot.right}" y1="${baseline}" y2="${baseline}"/>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** The chart's geometry, for tests: how tall a bar of `count` is when the tallest day holds `largest`. */
export const chartScale = (largest: number) => plotHeight / axisFor(largest).top;
