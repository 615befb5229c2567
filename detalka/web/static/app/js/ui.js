// Shared pieces of the screens: the template tag, a query hook, and small components.

import { h } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import htm from "htm";

import { api } from "./api.js";
import * as fmt from "./format.js";
import { errorMessage } from "./messages.js";

export const html = htm.bind(h);

// { data, errors, loading, reload }: the last answer, partial data included.
export function useQuery(name, variables, { skip = false } = {}) {
  const key = JSON.stringify(variables ?? {});
  const [state, setState] = useState({ data: null, errors: [], loading: !skip });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (skip) return undefined;
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    api.request(name, JSON.parse(key)).then((result) => {
      if (current) setState({ ...result, loading: false });
    });
    return () => {
      current = false;
    };
  }, [name, key, skip, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

export function ErrorList({ errors }) {
  if (!errors?.length) return null;
  const messages = [...new Set(errors.map(errorMessage))];
  return html`<div class="errors" role="alert">
    ${messages.map((m) => html`<p key=${m}>${m}</p>`)}
  </div>`;
}

// userErrors whose field path names `field` (e.g. "period" matches ["period", "to"]).
export function errorsFor(userErrors, field) {
  return (userErrors ?? []).filter((e) => (e.field ?? [])[0] === field);
}

export function FieldError({ errors }) {
  if (!errors?.length) return null;
  return html`<span class="field-error">${errors.map(errorMessage).join(" ")}</span>`;
}

export function Money({ value, className = "" }) {
  return html`<span class=${`money ${className}`}>${fmt.money(value)}</span>`;
}

export function Loading({ when }) {
  return when ? html`<p class="muted" aria-live="polite">Загрузка…</p>` : null;
}

export function Progress({ value, label }) {
  const percent = Math.max(0, Math.min(100, Math.round(value * 100)));
  return html`<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"
      aria-valuenow=${percent} aria-label=${label}>
    <span style=${{ width: `${percent}%` }}></span>
  </div>`;
}

export function PeriodPicker({ value, onChange, today }) {
  const set = (patch) => onChange({ ...value, ...patch });
  const quick = [
    ["Этот месяц", fmt.thisMonth(today)],
    ["Прошлый месяц", fmt.previousMonth(today)],
    ["30 дней", fmt.lastDays(today, 30)],
  ];
  return html`<fieldset class="period">
    <legend>Период</legend>
    <label>С <input type="date" name="from" value=${value.from} max=${today}
      onChange=${(e) => set({ from: e.currentTarget.value })} /></label>
    <label>По <input type="date" name="to" value=${value.to} max=${today}
      onChange=${(e) => set({ to: e.currentTarget.value })} /></label>
    <div class="chips">
      ${quick.map(
        ([label, p]) => html`<button type="button" key=${label}
          class=${p.from === value.from && p.to === value.to ? "chip active" : "chip"}
          onClick=${() => onChange(p)}>${label}</button>`,
      )}
    </div>
  </fieldset>`;
}

export function Checkboxes({ name, labels, chosen, onChange }) {
  const toggle = (key) =>
    onChange(chosen.includes(key) ? chosen.filter((k) => k !== key) : [...chosen, key]);
  return html`<div class="checks">
    ${Object.entries(labels).map(
      ([key, label]) => html`<label key=${key} class="check">
        <input type="checkbox" name=${name} value=${key} checked=${chosen.includes(key)}
          onChange=${() => toggle(key)} />
        ${label}
      </label>`,
    )}
  </div>`;
}
