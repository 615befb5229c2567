// Order a billing-detail report: choose, review with the preview (estimated rows), place.

import { useState } from "preact/hooks";

import { api } from "../api.js";
import * as fmt from "../format.js";
import { DELIVERY, FORMAT, SECTION } from "../messages.js";
import {
  Checkboxes,
  ErrorList,
  FieldError,
  PeriodPicker,
  errorsFor,
  html,
  useQuery,
} from "../ui.js";

const FIELDS = ["period", "sections", "email", "storeId", "format", "delivery"];

export function OrderScreen({ viewer, today, onPlaced }) {
  const [form, setForm] = useState(() => ({
    period: fmt.previousMonth(today),
    sections: Object.keys(SECTION),
    delivery: "ARCHIVE",
    format: "PDF",
    email: "",
    storeId: "",
  }));
  const [review, setReview] = useState(null); // { key, input, preview } of the checked form
  const [result, setResult] = useState({ errors: [], userErrors: [] });
  const [busy, setBusy] = useState(false);
  const stores = useQuery(
    "Stores",
    { regionCode: viewer.homeRegion.code },
    { skip: form.delivery !== "PAPER" },
  );
  const set = (patch) => {
    setForm({ ...form, ...patch });
    setReview(null); // a changed order must be reviewed again
  };
  const input = orderInput(form);
  const reviewed = review && JSON.stringify(review.input) === JSON.stringify(input);

  async function check(event) {
    event.preventDefault();
    setBusy(true);
    const { data, errors } = await api.request("DetailOrderPreview", { input });
    setBusy(false);
    const payload = data?.detailOrderPreview;
    setResult({ errors, userErrors: payload?.userErrors ?? [] });
    // One key per reviewed order: pressing "Заказать" twice places it once.
    if (payload?.preview) setReview({ key: crypto.randomUUID(), input, preview: payload.preview });
  }

  async function place() {
    setBusy(true);
    const variables = { input: { ...review.input, idempotencyKey: review.key } };
    const { data, errors } = await api.request("DetailOrderCreate", variables);
    setBusy(false);
    const payload = data?.detailOrderCreate;
    setResult({ errors, userErrors: payload?.userErrors ?? [] });
    if (payload?.order) onPlaced(payload.order);
  }

  const userErrors = result.userErrors;
  const paper = form.delivery === "PAPER";
  return html`<main id="order">
    <h1>Заказать детализацию</h1>
    <form class="card" onSubmit=${check} novalidate>
      <${PeriodPicker} value=${form.period} onChange=${(period) => set({ period })} today=${today} />
      <${FieldError} errors=${errorsFor(userErrors, "period")} />
      <fieldset>
        <legend>Разделы</legend>
        <${Checkboxes} name="section" labels=${SECTION} chosen=${form.sections}
          onChange=${(sections) => set({ sections })} />
        <${FieldError} errors=${errorsFor(userErrors, "sections")} />
      </fieldset>
      <fieldset>
        <legend>Как получить</legend>
        <div class="checks">
          ${Object.entries(DELIVERY).map(
            ([key, label]) => html`<label class="check" key=${key}>
              <input type="radio" name="delivery" value=${key} checked=${form.delivery === key}
                onChange=${() => set({ delivery: key })} /> ${label}
            </label>`,
          )}
        </div>
      </fieldset>
      ${form.delivery === "EMAIL" &&
      html`<label>Адрес почты
        <input name="email" type="email" autocomplete="email" value=${form.email}
          placeholder=${viewer.email ?? "name@example.ru"}
          onInput=${(e) => set({ email: e.currentTarget.value })} />
        <small class="muted">${viewer.email
          ? `Пусто — отправим на ${viewer.email}.`
          : "Адреса в профиле нет: укажите его."}</small>
        <${FieldError} errors=${errorsFor(userErrors, "email")} />
      </label>`}
      ${paper &&
      html`<label>Салон в регионе «${viewer.homeRegion.name}»
        <select name="storeId" value=${form.storeId}
          onChange=${(e) => set({ storeId: e.currentTarget.value })}>
          <option value="">Выберите салон</option>
          ${(stores.data?.stores ?? []).map(
            (s) => html`<option key=${s.id} value=${s.id}>${s.name}, ${s.address}</option>`,
          )}
        </select>
        <${FieldError} errors=${errorsFor(userErrors, "storeId")} />
      </label>`}
      <label>Формат
        <select name="format" value=${paper ? "PDF" : form.format} disabled=${paper}
          onChange=${(e) => set({ format: e.currentTarget.value })}>
          ${Object.entries(FORMAT).map(([k, label]) => html`<option key=${k} value=${k}>${label}</option>`)}
        </select>
        ${paper && html`<small class="muted">Бумажная копия печатается из PDF.</small>`}
      </label>
      <${ErrorList} errors=${[
        ...stores.errors,
        ...result.errors,
        ...userErrors.filter((e) => !FIELDS.includes((e.field ?? [])[0])),
      ]} />
      <button type="submit" class=${reviewed ? "" : "primary"} disabled=${busy}>Проверить заказ</button>
    </form>
    ${reviewed && html`<${Review} preview=${review.preview} busy=${busy} onPlace=${place} />`}
  </main>`;
}

function orderInput(form) {
  const input = {
    period: form.period,
    format: form.delivery === "PAPER" ? "PDF" : form.format,
    delivery: form.delivery,
    sections: form.sections,
  };
  if (form.delivery === "EMAIL" && form.email.trim()) input.email = form.email.trim();
  if (form.delivery === "PAPER") input.storeId = form.storeId || null;
  return input;
}

function Review({ preview, busy, onPlace }) {
  return html`<section class="card review" id="order-review">
    <h2>Проверьте заказ</h2>
    <dl>
      <dt>Период</dt><dd>${fmt.period(preview.period)}</dd>
      <dt>Формат</dt><dd>${FORMAT[preview.format]}</dd>
      <dt>Получение</dt><dd>${DELIVERY[preview.delivery]}${preview.email && `: ${preview.email}`}
        ${preview.store && `: ${preview.store.name}, ${preview.store.address}`}</dd>
      <dt>Разделы</dt><dd>${preview.sections.map((s) => SECTION[s]).join(", ")}</dd>
      <dt>Объём</dt><dd id="estimated-rows">около ${preview.estimatedRows}
        ${" "}${fmt.plural(preview.estimatedRows, "строки", "строк", "строк")}</dd>
    </dl>
    <button class="primary" type="button" disabled=${busy} onClick=${onPlace}>Заказать</button>
  </section>`;
}
