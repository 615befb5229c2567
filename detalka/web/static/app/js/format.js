// Formatting for a Russian reader. Money stays a decimal string end to end: the API sends
// "1234.50" and it is shown as "1 234,50 ₽" without ever becoming a float.

const NBSP = "\u00a0";

export function money(value) {
  if (!value) return "—";
  const text = String(value.amount ?? value);
  const negative = text.startsWith("-");
  const [whole, fraction = "00"] = text.replace("-", "").split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
  return `${negative ? "−" : ""}${grouped},${fraction.padEnd(2, "0")}${NBSP}₽`;
}

// Only for drawing (bar heights), never for sums.
export function amountNumber(value) {
  return Number.parseFloat(String(value?.amount ?? value ?? "0")) || 0;
}

export function date(isoDate) {
  if (!isoDate) return "—";
  const [y, m, d] = isoDate.split("-");
  return `${d}.${m}.${y}`;
}

export function period(p) {
  return p ? `${date(p.from)} – ${date(p.to)}` : "—";
}

export function dateTime(iso, timeZone) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat("ru-RU", {
    timeZone,
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(iso));
}

// Today as YYYY-MM-DD in the home region's zone: periods are that region's calendar days,
// and the API refuses a period that ends after its today.
export function todayIn(timeZone) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(new Date());
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

function iso(y, m, d) {
  const value = new Date(Date.UTC(y, m, d));
  return value.toISOString().slice(0, 10);
}

export function thisMonth(today) {
  const [y, m] = today.split("-").map(Number);
  return { from: iso(y, m - 1, 1), to: today };
}

export function previousMonth(today) {
  const [y, m] = today.split("-").map(Number);
  return { from: iso(y, m - 2, 1), to: iso(y, m - 1, 0) };
}

export function lastDays(today, days) {
  const [y, m, d] = today.split("-").map(Number);
  return { from: iso(y, m - 1, d - days + 1), to: today };
}

export function count(n) {
  return new Intl.NumberFormat("ru-RU").format(n);
}

export function duration(seconds) {
  if (seconds == null) return "";
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}${NBSP}мин`;
}

export function volume(kb) {
  if (kb == null) return "";
  if (kb < 1024) return `${kb}${NBSP}КБ`;
  return `${(kb / 1024).toFixed(1).replace(".", ",")}${NBSP}МБ`;
}

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes}${NBSP}Б`;
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)}${NBSP}КБ`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace(".", ",")}${NBSP}МБ`;
}

export function plural(n, one, few, many) {
  const tens = n % 100;
  const units = n % 10;
  if (tens >= 11 && tens <= 14) return many;
  if (units === 1) return one;
  if (units >= 2 && units <= 4) return few;
  return many;
}
