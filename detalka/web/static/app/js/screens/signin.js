// Signed out: sign in with number, password and home region; or get a password by SMS.

import { useEffect, useState } from "preact/hooks";

import { api } from "../api.js";
import { CAPTCHA_NEEDED } from "../messages.js";
import { ErrorList, FieldError, errorsFor, html, useQuery } from "../ui.js";

export function SignInScreen({ notice, prefill, onSignedIn }) {
  const regions = useQuery("Regions");
  const [form, setForm] = useState({ msisdn: prefill?.msisdn ?? "", password: "", regionCode: "" });
  const [result, setResult] = useState({ errors: [], userErrors: [] });
  const [busy, setBusy] = useState(false);
  // After five failed sign-ins of the number, every attempt must bring a solved captcha: the
  // server says so with TOO_MANY_ATTEMPTS on field captchaAnswer, and the form grows one.
  const [captcha, setCaptcha] = useState(null);
  const [answer, setAnswer] = useState("");
  const set = (field) => (e) => setForm({ ...form, [field]: e.currentTarget.value });

  async function newCaptcha() {
    setAnswer("");
    const { data, errors } = await api.request("CaptchaCreate");
    setCaptcha(data?.captchaCreate ?? null);
    return errors;
  }

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    const input = captcha ? { ...form, captchaId: captcha.id, captchaAnswer: answer } : form;
    const { data, errors } = await api.request("SignIn", { input });
    const payload = data?.sessionCreate;
    if (payload?.token) {
      setBusy(false);
      api.setToken(payload.token);
      onSignedIn();
      return;
    }
    const userErrors = payload?.userErrors ?? [];
    // a captcha is spent by any answer, right or wrong: a new one for the next attempt
    const needed = captcha || errorsFor(userErrors, "captchaAnswer").length > 0;
    const captchaErrors = needed ? await newCaptcha() : [];
    setBusy(false);
    setResult({ errors: [...errors, ...captchaErrors], userErrors });
  }

  const userErrors = result.userErrors;
  const onField = ["msisdn", "captchaAnswer"];
  return html`<main class="narrow" id="signin">
    <h1>Вход в личный кабинет</h1>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <form class="card" onSubmit=${submit}>
      <label>Номер телефона
        <input name="msisdn" type="tel" autocomplete="tel" required placeholder="+7 900 123-45-67"
          value=${form.msisdn} onInput=${set("msisdn")} />
        <${FieldError} errors=${errorsFor(userErrors, "msisdn")} />
      </label>
      <label>Пароль
        <input name="password" type="password" autocomplete="current-password" required
          value=${form.password} onInput=${set("password")} />
      </label>
      <label>Домашний регион
        <select name="regionCode" required value=${form.regionCode} onChange=${set("regionCode")}>
          <option value="" disabled>Выберите регион</option>
          ${(regions.data?.regions ?? []).map(
            (r) => html`<option key=${r.code} value=${r.code}>${r.name}</option>`,
          )}
        </select>
      </label>
      ${captcha &&
      html`<div class="captcha">
          <img src=${captcha.imageDataUrl} alt="Картинка с символами" width="200" height="70" />
          <button type="button" class="link" onClick=${newCaptcha}>Другая картинка</button>
        </div>
        <label>Символы с картинки
          <input name="captchaAnswer" required autocomplete="off" autocapitalize="characters"
            value=${answer} onInput=${(e) => setAnswer(e.currentTarget.value)} />
          <${FieldError} errors=${errorsFor(userErrors, "captchaAnswer").map((e) =>
            e.code === "TOO_MANY_ATTEMPTS" ? { message: CAPTCHA_NEEDED } : e,
          )} />
        </label>`}
      <${ErrorList} errors=${[...regions.errors, ...result.errors, ...userErrors.filter(
        (e) => !onField.includes((e.field ?? [])[0]),
      )]} />
      <button class="primary" type="submit" disabled=${busy}>Войти</button>
    </form>
    <p class="center"><a href="#/password">Нет пароля или забыли? Получить пароль по SMS</a></p>
  </main>`;
}

export function PasswordScreen({ onSent }) {
  const [msisdn, setMsisdn] = useState("");
  const [answer, setAnswer] = useState("");
  const [captcha, setCaptcha] = useState(null);
  const [result, setResult] = useState({ errors: [], userErrors: [] });
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);

  async function newCaptcha() {
    setAnswer("");
    const { data, errors } = await api.request("CaptchaCreate");
    setCaptcha(data?.captchaCreate ?? null);
    if (errors.length) setResult({ errors, userErrors: [] });
  }
  useEffect(() => {
    newCaptcha();
  }, []);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    const input = { msisdn, captchaId: captcha?.id, captchaAnswer: answer };
    const { data, errors } = await api.request("PasswordRequest", { input });
    setBusy(false);
    const payload = data?.passwordRequest;
    setResult({ errors, userErrors: payload?.userErrors ?? [] });
    if (payload?.accepted) {
      setSent(true);
      return;
    }
    newCaptcha(); // one answer spends a captcha, right or wrong
  }

  if (sent) {
    return html`<main class="narrow" id="password-sent">
      <h1>Пароль отправлен</h1>
      <div class="card">
        <p>Если номер ${msisdn} обслуживается у нас, в течение минуты придёт SMS с паролем.</p>
        <button class="primary" type="button" onClick=${() => onSent(msisdn)}>
          Войти с паролем из SMS
        </button>
      </div>
    </main>`;
  }
  const userErrors = result.userErrors;
  return html`<main class="narrow" id="password">
    <h1>Пароль по SMS</h1>
    <form class="card" onSubmit=${submit}>
      <label>Номер телефона
        <input name="msisdn" type="tel" autocomplete="tel" required placeholder="+7 900 123-45-67"
          value=${msisdn} onInput=${(e) => setMsisdn(e.currentTarget.value)} />
        <${FieldError} errors=${errorsFor(userErrors, "msisdn")} />
      </label>
      <div class="captcha">
        ${captcha
          ? html`<img src=${captcha.imageDataUrl} alt="Картинка с символами" width="200"
              height="70" />`
          : html`<span class="muted">Загрузка картинки…</span>`}
        <button type="button" class="link" onClick=${newCaptcha}>Другая картинка</button>
      </div>
      <label>Символы с картинки
        <input name="captchaAnswer" required autocomplete="off" autocapitalize="characters"
          value=${answer} onInput=${(e) => setAnswer(e.currentTarget.value)} />
        <${FieldError} errors=${errorsFor(userErrors, "captchaAnswer")} />
      </label>
      <${ErrorList} errors=${[...result.errors, ...userErrors.filter(
        (e) => !["msisdn", "captchaAnswer"].includes((e.field ?? [])[0]),
      )]} />
      <button class="primary" type="submit" disabled=${busy || !captcha}>Получить пароль</button>
    </form>
    <p class="center"><a href="#/signin">Вернуться ко входу</a></p>
  </main>`;
}
