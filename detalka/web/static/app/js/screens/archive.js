// Ordered documents: status with live progress (the shell's subscription), download links
// and how long each file is kept.

import { useState } from "preact/hooks";

import { api } from "../api.js";
import * as fmt from "../format.js";
import { DELIVERY, DELIVERY_STATUS, FORMAT, ORDER_STATUS } from "../messages.js";
import { ErrorList, Loading, Progress, html, useQuery } from "../ui.js";

const PAGE = 20;
const RANK = { PENDING: 0, RENDERING: 1, READY: 2, EXPIRED: 3, FAILED: 3, CANCELED: 3 };

// A query and the subscription may answer in either order: keep the later state of an
// order (status moves one way, progress only grows, delivery leaves PENDING once).
export function fresher(a, b) {
  if (!a) return b;
  if (!b) return a;
  const key = (o) => [RANK[o.status] ?? 0, o.progress, o.deliveryStatus === "PENDING" ? 0 : 1];
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i] > y[i] ? a : b;
  return b;
}

export function ArchiveScreen({ viewer, live, flash }) {
  const [pages, setPages] = useState([null]);
  return html`<main id="archive">
    <h1>Заказанные детализации</h1>
    ${flash && html`<p class="notice" role="status">${flash}</p>`}
    <p class="muted">Готовый файл хранится 3 дня. Статус обновляется сам, страницу
      обновлять не нужно.</p>
    ${pages.map(
      (after, i) => html`<${OrdersPage} key=${after ?? "first"} after=${after} live=${live}
        zone=${viewer.homeRegion.timeZone} first=${i === 0}
        onMore=${i === pages.length - 1 ? (cursor) => setPages([...pages, cursor]) : null} />`,
    )}
  </main>`;
}

function OrdersPage({ after, live, zone, first, onMore }) {
  const { data, errors, loading } = useQuery("DetailOrders", { first: PAGE, after });
  const connection = data?.viewer?.detailOrders;
  const known = new Set((connection?.edges ?? []).map((e) => e.node.id));
  // Orders placed since the list was read come in through the subscription only.
  const newest = connection?.edges[0]?.node.createdAt ?? "";
  const placed = first
    ? [...live.values()].filter((o) => !known.has(o.id) && o.createdAt > newest).reverse()
    : [];
  const orders = [...placed, ...(connection?.edges ?? []).map((e) => fresher(e.node, live.get(e.node.id)))];
  return html`<section>
    <${Loading} when=${loading} />
    <${ErrorList} errors=${errors} />
    ${first && connection && orders.length === 0 && html`<p class="muted">Заказов пока нет.</p>`}
    <ul class="orders plain">
      ${orders.map((o) => html`<${OrderCard} key=${o.id} order=${o} zone=${zone} />`)}
    </ul>
    ${onMore && connection?.pageInfo.hasNextPage &&
    html`<button type="button" onClick=${() => onMore(connection.pageInfo.endCursor)}>
      Показать ещё</button>`}
  </section>`;
}

function OrderCard({ order, zone }) {
  const [cancel, setCancel] = useState({ busy: false, errors: [] });
  const inMotion = order.status === "PENDING" || order.status === "RENDERING";
  async function doCancel() {
    setCancel({ busy: true, errors: [] });
    const { data, errors } = await api.request("DetailOrderCancel", { id: order.id });
    setCancel({ busy: false, errors: [...errors, ...(data?.detailOrderCancel?.userErrors ?? [])] });
  }
  const doc = order.document;
  const deliveryNote = DELIVERY_STATUS[order.deliveryStatus];
  return html`<li class="card order" data-id=${order.id} data-status=${order.status}>
    <div class="row">
      <h2>Детализация за ${fmt.period(order.period)}</h2>
      <span class=${`badge status-${order.status.toLowerCase()}`}>${ORDER_STATUS[order.status]}</span>
    </div>
    <p class="muted">${FORMAT[order.format]} · ${DELIVERY[order.delivery]}
      ${order.store && ` · ${order.store.name}, ${order.store.address}`}
      ${order.email && ` · ${order.email}`} · заказана ${fmt.dateTime(order.createdAt, zone)}</p>
    ${inMotion && html`<${Progress} value=${order.progress} label="Готовность детализации" />`}
    ${order.status === "FAILED" && html`<p class="errors">${order.failureReason ?? "Не удалось подготовить детализацию."}</p>`}
    ${deliveryNote && order.status === "READY" && html`<p>${deliveryNote}</p>`}
    ${doc && html`<p class="download">
      <a href=${doc.downloadUrl} download=${doc.fileName}>Скачать ${doc.fileName}</a>
      <span class="muted"> (${fmt.fileSize(doc.sizeBytes)}${order.rowCount != null
        ? `, ${order.rowCount} ${fmt.plural(order.rowCount, "строка", "строки", "строк")}` : ""})</span>
      <br /><small class="kept">Хранится до ${fmt.dateTime(doc.expiresAt, zone)}</small>
    </p>`}
    ${order.status === "EXPIRED" && html`<p class="muted">Файл удалён. Закажите детализацию снова.</p>`}
    ${inMotion && html`<button type="button" class="link" disabled=${cancel.busy}
      onClick=${doCancel}>Отменить</button>`}
    <${ErrorList} errors=${cancel.errors} />
  </li>`;
}
