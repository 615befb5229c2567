// Periodic reports by email: set one up, pause or resume it, delete it.

import { useState } from "preact/hooks";

import { api } from "../api.js";
import * as fmt from "../format.js";
import { FORMAT, FREQUENCY, SECTION } from "../messages.js";
import { Checkboxes, ErrorList, FieldError, Loading, errorsFor, html, useQuery } from "../ui.js";

export function SchedulesScreen({ viewer }) {
  const { data, errors, loading, reload } = useQuery("DetailSchedules");
  const schedules = data?.viewer?.detailSchedules ?? [];
  const zone = viewer.homeRegion.timeZone;
  return html`<main id="schedules">
    <h1>Детализация по расписанию</h1>
    <p class="muted">Отчёт за прошедшую неделю или месяц приходит на почту сам.</p>
    <${Loading} when=${loading && !data} />
    <${ErrorList} errors=${errors} />
    ${data && schedules.length === 0 && html`<p class="muted">Рассылок пока нет.</p>`}
    <ul class="plain">
      ${schedules.map(
        (s) => html`<${ScheduleCard} key=${s.id} schedule=${s} zone=${zone} onChanged=${reload} />`,
      )}
    </ul>
    <${NewSchedule} viewer=${viewer} onCreated=${reload} />
  </main>`;
}

function ScheduleCard({ schedule, zone, onChanged }) {
  const [state, setState] = useState({ busy: false, errors: [], confirming: false });
  async function run(request, payloadKey) {
    setState({ busy: true, errors: [], confirming: false });
    const { data, errors } = await request();
    const userErrors = data?.[payloadKey]?.userErrors ?? [];
    setState({ busy: false, errors: [...errors, ...userErrors], confirming: false });
    if (!errors.length && !userErrors.length) onChanged();
  }
  const input = { id: schedule.id, paused: !schedule.paused };
  const togglePause = () =>
    run(() => api.request("DetailScheduleUpdate", { input }), "detailScheduleUpdate");
  const remove = () =>
    run(() => api.request("DetailScheduleDelete", { id: schedule.id }), "detailScheduleDelete");
  return html`<li class="card schedule" data-id=${schedule.id} data-paused=${schedule.paused}>
    <div class="row">
      <h2>${FREQUENCY[schedule.frequency]}, ${FORMAT[schedule.format]}</h2>
      ${schedule.paused && html`<span class="badge low">На паузе</span>`}
    </div>
    <p>На ${schedule.email}. Разделы: ${schedule.sections.map((s) => SECTION[s]).join(", ")}.</p>
    ${schedule.nextPeriod &&
    html`<p class="muted">Следующий отчёт — за ${fmt.period(schedule.nextPeriod)},
      ${" "}${fmt.dateTime(schedule.nextRunAt, zone)}.</p>`}
    <div class="actions">
      <button type="button" disabled=${state.busy} onClick=${togglePause}>
        ${schedule.paused ? "Возобновить" : "Приостановить"}</button>
      ${state.confirming
        ? html`<button type="button" class="danger" disabled=${state.busy} onClick=${remove}>
              Да, удалить</button>
            <button type="button" class="link" onClick=${() => setState({ ...state, confirming: false })}>
              Не удалять</button>`
        : html`<button type="button" class="link" onClick=${() => setState({ ...state, confirming: true })}>
            Удалить</button>`}
    </div>
    <${ErrorList} errors=${state.errors} />
  </li>`;
}

function NewSchedule({ viewer, onCreated }) {
  const blank = { frequency: "MONTHLY", format: "PDF", sections: Object.keys(SECTION), email: "" };
  const [form, setForm] = useState(blank);
  const [result, setResult] = useState({ errors: [], userErrors: [], busy: false });
  const set = (patch) => setForm({ ...form, ...patch });

  async function submit(event) {
    event.preventDefault();
    setResult({ errors: [], userErrors: [], busy: true });
    const input = { frequency: form.frequency, format: form.format, sections: form.sections };
    if (form.email.trim()) input.email = form.email.trim();
    const { data, errors } = await api.request("DetailScheduleCreate", { input });
    const payload = data?.detailScheduleCreate;
    setResult({ errors, userErrors: payload?.userErrors ?? [], busy: false });
    if (payload?.schedule) {
      setForm(blank);
      onCreated();
    }
  }

  const userErrors = result.userErrors;
  return html`<form class="card" id="new-schedule" onSubmit=${submit}>
    <h2>Новая рассылка</h2>
    <label>Как часто
      <select name="frequency" value=${form.frequency} onChange=${(e) => set({ frequency: e.currentTarget.value })}>
        ${Object.entries(FREQUENCY).map(([k, label]) => html`<option key=${k} value=${k}>${label}</option>`)}
      </select>
    </label>
    <label>Формат
      <select name="format" value=${form.format} onChange=${(e) => set({ format: e.currentTarget.value })}>
        ${Object.entries(FORMAT).map(([k, label]) => html`<option key=${k} value=${k}>${label}</option>`)}
      </select>
    </label>
    <fieldset>
      <legend>Разделы</legend>
      <${Checkboxes} name="section" labels=${SECTION} chosen=${form.sections}
        onChange=${(sections) => set({ sections })} />
      <${FieldError} errors=${errorsFor(userErrors, "sections")} />
    </fieldset>
    <label>Адрес почты
      <input name="email" type="email" autocomplete="email" value=${form.email}
        placeholder=${viewer.email ?? "name@example.ru"} onInput=${(e) => set({ email: e.currentTarget.value })} />
      <${FieldError} errors=${errorsFor(userErrors, "email")} />
    </label>
    <${ErrorList} errors=${[
      ...result.errors,
      ...userErrors.filter((e) => !["sections", "email"].includes((e.field ?? [])[0])),
    ]} />
    <button class="primary" type="submit" disabled=${result.busy}>Подключить</button>
  </form>`;
}
