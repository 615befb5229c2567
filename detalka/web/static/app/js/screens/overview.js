// Balances, their state, the promised-payment debt, and what is left of the packages.

import * as fmt from "../format.js";
import { BALANCE_STATE, PACKAGE_UNIT } from "../messages.js";
import { ErrorList, Loading, Money, Progress, html, useQuery } from "../ui.js";

export function OverviewScreen({ viewer }) {
  const { data, errors, loading } = useQuery("Overview");
  const zone = viewer.homeRegion.timeZone;
  const overview = data?.viewer;
  return html`<main id="overview">
    <h1>Обзор</h1>
    <${Loading} when=${loading && !overview} />
    <${ErrorList} errors=${errors} />
    ${overview?.balances && html`<${Balances} balances=${overview.balances} zone=${zone} />`}
    ${overview?.promisedPayments &&
    html`<${Promised} items=${overview.promisedPayments} zone=${zone} />`}
    ${overview?.packages && html`<${Packages} items=${overview.packages} zone=${zone} />`}
    <p class="muted">Тариф «${viewer.tariff.name}», абонентская плата
      ${" "}<${Money} value=${viewer.tariff.monthlyFee} /> в месяц.</p>
  </main>`;
}

function Balances({ balances, zone }) {
  const state = balances.state;
  return html`<section class="grid">
    <article class="card" id="main-balance">
      <h2>${balances.main.name}</h2>
      <p class="big"><${Money} value=${balances.main.amount} /></p>
      <p><span class=${`badge ${state.toLowerCase()}`} data-state=${state}>
        ${BALANCE_STATE[state] ?? state}</span></p>
    </article>
    <article class="card" id="additional-balances">
      <h2>Дополнительные балансы</h2>
      ${balances.additional.length === 0 && html`<p class="muted">Нет</p>`}
      <ul class="plain">
        ${balances.additional.map(
          (b) => html`<li key=${b.kind}>
            <span>${b.name}</span> <${Money} value=${b.amount} />
            ${b.expiresAt && html`<small class="muted"> сгорает ${fmt.dateTime(b.expiresAt, zone)}</small>`}
          </li>`,
        )}
      </ul>
    </article>
    <article class="card" id="promised-debt">
      <h2>Обещанный платёж</h2>
      <p class="big"><${Money} value=${balances.promisedDebt} /></p>
      <p class="muted">задолженность</p>
    </article>
  </section>`;
}

function Promised({ items, zone }) {
  const open = items.filter((p) => p.outstanding.amount !== "0.00");
  if (open.length === 0) return null;
  return html`<section class="card">
    <h2>Непогашенные обещанные платежи</h2>
    <ul class="plain">
      ${open.map(
        (p) => html`<li key=${p.takenAt}>
          <${Money} value=${p.outstanding} /> из <${Money} value=${p.amount} />${" "}
          (комиссия <${Money} value=${p.fee} />), вернуть до ${fmt.dateTime(p.dueAt, zone)}
          ${p.overdue && html`${" "}<span class="badge negative">просрочен</span>`}
        </li>`,
      )}
    </ul>
  </section>`;
}

function Packages({ items, zone }) {
  return html`<section class="card" id="packages">
    <h2>Остатки пакетов</h2>
    ${items.length === 0 && html`<p class="muted">В тарифе нет пакетов.</p>`}
    ${items.map((p) => {
      const unit = PACKAGE_UNIT[p.unit] ?? p.unit;
      const share = p.included > 0 ? p.remaining / p.included : 0;
      return html`<div class="package" key=${p.kind} data-kind=${p.kind}>
        <div class="row">
          <span>${p.name}</span>
          <span><b>${fmt.count(p.remaining)}</b> из ${fmt.count(p.included)} ${unit}</span>
        </div>
        <${Progress} value=${share} label=${`${p.name}: осталось ${p.remaining} ${unit}`} />
        <small class="muted">Обновится ${fmt.dateTime(p.periodEnd, zone)}</small>
      </div>`;
    })}
  </section>`;
}
