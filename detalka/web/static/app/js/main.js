// The cabinet's shell: session state, hash routes, the viewer, and the one live subscription.

import { render } from "preact";
import { useEffect, useState } from "preact/hooks";

import { api } from "./api.js";
import { todayIn } from "./format.js";
import { ArchiveScreen, fresher } from "./screens/archive.js";
import { ExpensesScreen } from "./screens/expenses.js";
import { OrderScreen } from "./screens/order.js";
import { OverviewScreen } from "./screens/overview.js";
import { SchedulesScreen } from "./screens/schedules.js";
import { PasswordScreen, SignInScreen } from "./screens/signin.js";
import { UsageScreen } from "./screens/usage.js";
import { ErrorList, Loading, html, useQuery } from "./ui.js";

const SCREENS = [
  ["overview", "Обзор", OverviewScreen],
  ["expenses", "Расходы", ExpensesScreen],
  ["usage", "Звонки и списания", UsageScreen],
  ["order", "Заказать детализацию", OrderScreen],
  ["archive", "Архив", ArchiveScreen],
  ["schedules", "По расписанию", SchedulesScreen],
];
const RESUBSCRIBE_MS = 10_000;

function useRoute() {
  const read = () => window.location.hash.replace(/^#\/?/, "") || "";
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}

const go = (route) => {
  window.location.hash = `#/${route}`;
};

function App() {
  const [signedIn, setSignedIn] = useState(api.signedIn);
  const [notice, setNotice] = useState(null);
  const [prefill, setPrefill] = useState(null);
  const route = useRoute();
  useEffect(() => {
    api.onSignedOut = (reason) => {
      setSignedIn(false);
      setNotice(reason === "expired" ? "Сеанс завершён. Войдите снова." : "Вы вышли из кабинета.");
      go("signin");
    };
  }, []);

  if (!signedIn) {
    if (route === "password") {
      return html`<${Frame}><${PasswordScreen} onSent=${(msisdn) => {
        setPrefill({ msisdn });
        setNotice("Введите пароль из SMS.");
        go("signin");
      }} /><//>`;
    }
    return html`<${Frame}><${SignInScreen} notice=${notice} prefill=${prefill} onSignedIn=${() => {
      setNotice(null);
      setSignedIn(true);
      go("overview");
    }} /><//>`;
  }
  return html`<${Cabinet} route=${route} />`;
}

function Frame({ children, nav }) {
  return html`<div class="frame">
    <header class="top">
      <a class="brand" href="#/overview">Деталька<small>личный кабинет</small></a>
      ${nav}
    </header>
    ${children}
  </div>`;
}

function Cabinet({ route }) {
  const viewer = useQuery("Viewer");
  const live = useLiveOrders();
  const [flash, setFlash] = useState(null);
  const me = viewer.data?.viewer;
  const found = SCREENS.find(([key]) => key === route) ?? SCREENS[0];
  const [key, , Screen] = found;
  useEffect(() => {
    // On a phone the tabs scroll sideways: keep the current one in sight.
    document
      .querySelector(".tabs [aria-current=page]")
      ?.scrollIntoView({ block: "nearest", inline: "center" });
  }, [key]);
  const nav = html`<nav class="tabs" aria-label="Разделы кабинета">
      ${SCREENS.map(
        ([k, label]) => html`<a key=${k} href=${`#/${k}`} aria-current=${k === key ? "page" : null}>
          ${label}</a>`,
      )}
    </nav>
    <div class="who">
      ${me && html`<span class="msisdn">${me.msisdn}</span>`}
      <button type="button" class="link" id="sign-out" onClick=${signOut}>Выйти</button>
    </div>`;
  const placed = (order) => {
    live.put(order);
    setFlash("Заказ принят. Детализация готовится.");
    go("archive");
  };
  return html`<${Frame} nav=${nav}>
    <${ErrorList} errors=${viewer.errors} />
    ${!me && !viewer.loading && html`<main><button type="button" onClick=${viewer.reload}>
      Повторить</button></main>`}
    <${Loading} when=${!me && viewer.loading} />
    ${me && html`<${Screen} key=${key} viewer=${me} today=${todayIn(me.homeRegion.timeZone)}
      live=${live.orders} flash=${key === "archive" ? flash : null} onPlaced=${placed} />`}
  <//>`;
}

// Every change of the viewer's orders while signed in, over one socket; the archive merges
// these into what it read. Resubscribes after a lost connection (the client retried 5 times).
function useLiveOrders() {
  const [orders, setOrders] = useState(() => new Map());
  const [generation, setGeneration] = useState(0);
  const put = (order) =>
    setOrders((known) => new Map(known).set(order.id, fresher(known.get(order.id), order)));
  useEffect(() => {
    let retry = null;
    const stop = api.subscribe("DetailOrderUpdated", {}, {
      next: ({ data }) => data?.detailOrderUpdated && put(data.detailOrderUpdated),
      error: () => {
        if (api.signedIn) retry = setTimeout(() => setGeneration((g) => g + 1), RESUBSCRIBE_MS);
      },
    });
    return () => {
      clearTimeout(retry);
      stop();
    };
  }, [generation]);
  return { orders, put };
}

async function signOut() {
  // The server closes this session's sockets (4403) as it ends it, often before its answer
  // arrives: that close is this sign-out, not a session that expired.
  api.signingOut = true;
  await api.request("SignOut");
  api.forget("signed-out");
}

const root = document.getElementById("app");
root.replaceChildren(); // the "Загрузка…" placeholder: render() appends, it does not replace
render(html`<${App} />`, root);
