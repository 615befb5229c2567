// The charge events of a period, a page at a time, filtered by kind.

import { useState } from "preact/hooks";

import * as fmt from "../format.js";
import { DIRECTION, USAGE_KIND } from "../messages.js";
import { Checkboxes, ErrorList, Loading, Money, PeriodPicker, html, useQuery } from "../ui.js";

const PAGE = 20;

export function UsageScreen({ viewer, today }) {
  const [period, setPeriod] = useState(() => fmt.thisMonth(today));
  const [kinds, setKinds] = useState([]);
  // The connection pages forward only: the cursors of the pages seen so far, for "back".
  const [cursors, setCursors] = useState([null]);
  const page = cursors.length - 1;
  const variables = {
    period,
    kinds: kinds.length ? kinds : null,
    first: PAGE,
    after: cursors[page],
  };
  const { data, errors, loading } = useQuery("Usage", variables);
  const usage = data?.viewer?.usage;
  const restart = (apply) => (value) => {
    apply(value);
    setCursors([null]);
  };
  const next = () => setCursors([...cursors, usage.pageInfo.endCursor]);
  const back = () => setCursors(cursors.slice(0, -1));
  const zone = viewer.homeRegion.timeZone;

  return html`<main id="usage">
    <h1>Звонки и списания</h1>
    <div class="filters">
      <${PeriodPicker} value=${period} onChange=${restart(setPeriod)} today=${today} />
      <fieldset>
        <legend>Что показать (ничего не выбрано — всё)</legend>
        <${Checkboxes} name="kind" labels=${USAGE_KIND} chosen=${kinds}
          onChange=${restart(setKinds)} />
      </fieldset>
    </div>
    <${ErrorList} errors=${errors} />
    <section class="card">
      <${Loading} when=${loading} />
      ${usage && usage.edges.length === 0 && html`<p class="muted">За этот период ничего нет.</p>`}
      ${usage?.edges.length > 0 && html`<${UsageTable} edges=${usage.edges} zone=${zone} />`}
      <nav class="pager" aria-label="Страницы">
        <button type="button" disabled=${page === 0 || loading} onClick=${back}>← Назад</button>
        <span class="page-number">Страница ${page + 1}</span>
        <button type="button" disabled=${!usage?.pageInfo.hasNextPage || loading} onClick=${next}>
          Далее →</button>
      </nav>
    </section>
  </main>`;
}

function UsageTable({ edges, zone }) {
  return html`<div class="scroll"><table class="usage">
    <thead><tr>
      <th>Когда</th><th>Что</th><th>Номер, зона</th><th class="num">Объём</th>
      <th class="wide">Описание</th><th class="num">Стоимость</th>
    </tr></thead>
    <tbody>
      ${edges.map(({ node: r }) => html`<tr key=${r.id} data-id=${r.id} data-kind=${r.kind}>
        <td class="when">${fmt.dateTime(r.occurredAt, zone)}</td>
        <td class="what">${USAGE_KIND[r.kind] ?? r.kind}${r.direction && html`<br /><small class="muted">
          ${DIRECTION[r.direction]}</small>`}</td>
        <td class="party">${r.counterparty}${r.counterparty && r.zone && html`<br />`}${r.zone &&
        html`<small class="muted">${r.zone}${r.roaming ? " (роуминг)" : ""}</small>`}</td>
        <td class="num amount">${amount(r)}</td>
        <td class="wide">${r.description}</td>
        <td class="num cost"><${Money} value=${r.cost} />${r.fromPackage &&
        html`<br /><small class="muted">из пакета</small>`}</td>
      </tr>`)}
    </tbody>
  </table></div>`;
}

function amount(r) {
  if (r.durationSeconds != null) return fmt.duration(r.durationSeconds);
  if (r.volumeKb != null) return fmt.volume(r.volumeKb);
  if (r.quantity != null) return `${r.quantity} шт.`;
  return "";
}
