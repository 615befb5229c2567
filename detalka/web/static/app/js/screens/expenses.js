// Expenses for a chosen period: the total, by category, and by day as a bar chart.

import { useState } from "preact/hooks";

import * as fmt from "../format.js";
import { CATEGORY } from "../messages.js";
import { ErrorList, Loading, Money, PeriodPicker, Progress, html, useQuery } from "../ui.js";

export function ExpensesScreen({ viewer, today }) {
  const [period, setPeriod] = useState(() => fmt.thisMonth(today));
  const { data, errors, loading } = useQuery("Expenses", { period });
  const expenses = data?.viewer?.expenses;
  return html`<main id="expenses">
    <h1>Расходы</h1>
    <${PeriodPicker} value=${period} onChange=${setPeriod} today=${today} />
    <${Loading} when=${loading} />
    <${ErrorList} errors=${errors} />
    ${expenses && html`<${Summary} expenses=${expenses} />`}
    ${expenses && html`<${DailyChart} days=${expenses.byDay} />`}
    <p class="muted">Дни считаются по времени региона «${viewer.homeRegion.name}».</p>
  </main>`;
}

function Summary({ expenses }) {
  const top = Math.max(...expenses.byCategory.map((c) => fmt.amountNumber(c.amount)), 0);
  return html`<section class="card">
    <h2>За ${fmt.period(expenses.period)}</h2>
    <p class="big" id="expenses-total"><${Money} value=${expenses.total} /></p>
    <table class="categories">
      <thead><tr><th>Категория</th><th class="num">Списаний</th><th class="num">Сумма</th></tr></thead>
      <tbody>
        ${expenses.byCategory.map(
          (c) => html`<tr key=${c.category} data-category=${c.category}>
            <td>
              ${CATEGORY[c.category] ?? c.category}
              <${Progress} value=${top ? fmt.amountNumber(c.amount) / top : 0}
                label=${CATEGORY[c.category] ?? c.category} />
            </td>
            <td class="num">${c.count}</td>
            <td class="num"><${Money} value=${c.amount} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

// Plain SVG: one bar per day, scaled to the busiest day; a title on each bar for the value.
function DailyChart({ days }) {
  if (days.length === 0) return null;
  const [width, height, bottom] = [640, 180, 22];
  const busiest = days.reduce((a, b) => (fmt.amountNumber(b.amount) > fmt.amountNumber(a.amount) ? b : a));
  const max = Math.max(fmt.amountNumber(busiest.amount), 0.01);
  const step = width / days.length;
  const bar = Math.max(Math.min(step - 2, 36), 1);
  const labelEvery = Math.ceil(days.length / 8);
  return html`<section class="card" id="daily">
    <h2>По дням</h2>
    <svg class="chart" viewBox=${`0 0 ${width} ${height}`} role="img" aria-label="Расходы по дням">
      <line x1="0" x2=${width} y1=${height - bottom} y2=${height - bottom} />
      ${days.map((d, i) => {
        const h = ((height - bottom - 4) * fmt.amountNumber(d.amount)) / max;
        const middle = i * step + step / 2;
        return html`<g key=${d.date}>
          <rect x=${middle - bar / 2} y=${height - bottom - h} width=${bar} height=${h}
            data-date=${d.date}>
            <title>${fmt.date(d.date)}: ${fmt.money(d.amount)}</title>
          </rect>
          ${i % labelEvery === 0 &&
          html`<text x=${middle} y=${height - 6} text-anchor="middle">${fmt.date(d.date).slice(0, 5)}</text>`}
        </g>`;
      })}
    </svg>
    <p class="muted">Больше всего — ${fmt.date(busiest.date)}: ${fmt.money(busiest.amount)}</p>
  </section>`;
}
