// Every word the subscriber reads about a code or an enum value, in one place.

// userErrors[].code (ErrorCode in the schema) and the top-level error codes the API sends
// (RequestErrorCode). A test checks that every value of both enums has a message here.
export const ERROR_MESSAGES = {
  INVALID_PHONE: "Номер указан неверно. Введите мобильный номер России, например +7 900 123-45-67.",
  INVALID_CAPTCHA: "Символы с картинки введены неверно. Введите символы с новой картинки.",
  TOO_MANY_REQUESTS: "Слишком много запросов. Попробуйте позже.",
  SMS_UNAVAILABLE: "Сейчас не удаётся отправить SMS. Попробуйте через минуту.",
  INVALID_CREDENTIALS: "Неверный номер, пароль или регион.",
  TOO_MANY_ATTEMPTS:
    "Слишком много неудачных попыток входа. Попробуйте через 15 минут или получите новый пароль по SMS.",
  PASSWORD_TOO_SHORT: "Пароль слишком короткий: нужно не меньше 8 символов.",
  PASSWORD_TOO_LONG: "Пароль слишком длинный: не больше 128 символов.",
  INVALID_SCOPE: "Такого права доступа нет.",
  INVALID_NAME: "Название должно быть от 1 до 100 символов.",
  NOT_FOUND: "Не найдено: возможно, запись уже удалена.",
  PERIOD_REVERSED: "Начало периода позже его конца.",
  PERIOD_IN_FUTURE: "Конец периода не может быть позже сегодняшнего дня.",
  PERIOD_BEFORE_HORIZON: "Так давно история не хранится: выберите более позднее начало периода.",
  NO_SECTIONS: "Выберите хотя бы один раздел.",
  EMAIL_REQUIRED: "Укажите адрес электронной почты.",
  EMAIL_INVALID: "Адрес электронной почты указан неверно.",
  STORE_REQUIRED: "Выберите салон, в котором заберёте бумажную детализацию.",
  STORE_NOT_FOUND: "Салон не найден. Выберите другой.",
  STORE_OUTSIDE_HOME_REGION: "Бумажную детализацию выдают только в салонах домашнего региона.",
  IDEMPOTENCY_KEY_REUSED: "Этот заказ уже оформлен с другими параметрами. Проверьте заказ ещё раз.",
  IDEMPOTENCY_KEY_INVALID: "Заказ не удалось оформить. Проверьте заказ ещё раз.",
  NOTHING_TO_CANCEL: "Этот заказ уже нельзя отменить.",
  TOO_MANY_SCHEDULES: "Рассылок уже слишком много. Удалите ненужную.",
  EMAIL_NOT_ALLOWED: "Отчёт можно отправить только на адрес почты из профиля.",
  INVALID_EXPIRY: "Срок действия токена указан неверно.",
  TOO_MANY_ORDERS: "Слишком много заказов готовится одновременно. Дождитесь готовности или отмените ненужный.",
  INVALID_URL: "Укажите полный адрес вида https://example.ru/webhooks.",
  NO_EVENT_TYPES: "Выберите хотя бы одно событие.",
  WEBHOOK_ALREADY_DELIVERED: "Этот вебхук уже доставлен.",
  WEBHOOK_ENDPOINT_DISABLED: "Сначала включите адрес для вебхуков.",
  // top-level errors
  UNAUTHENTICATED: "Сеанс завершён. Войдите снова.",
  FORBIDDEN: "Недостаточно прав для этого действия.",
  BAD_CURSOR: "Список изменился. Откройте первую страницу.",
  BAD_PAGE_SIZE: "Слишком большая страница списка.",
  BAD_ID: "Запись не найдена: ссылка на неё неверна.",
  BAD_USER_INPUT: "Проверьте введённые данные.",
  BAD_REQUEST: "Приложение устарело. Обновите страницу.",
  GRAPHQL_PARSE_FAILED: "Приложение устарело. Обновите страницу.",
  GRAPHQL_VALIDATION_FAILED: "Приложение устарело. Обновите страницу.",
  OPERATION_NOT_SUPPORTED: "Приложение устарело. Обновите страницу.",
  PERSISTED_QUERY_NOT_FOUND: "Приложение устарело. Обновите страницу.",
  PERSISTED_QUERY_NOT_SUPPORTED: "Приложение устарело. Обновите страницу.",
  QUERY_TOO_COMPLEX: "Запрос слишком сложный. Выберите период покороче.",
  REQUEST_TOO_LARGE: "Запрос слишком большой.",
  TIMEOUT: "Сервер не успел ответить. Попробуйте ещё раз или выберите период покороче.",
  THROTTLED: "Слишком много запросов. Попробуйте через минуту.",
  TOO_MANY_SUBSCRIPTIONS: "Открыто слишком много обновлений. Обновите страницу.",
  INTERNAL_SERVER_ERROR: "Что-то пошло не так на нашей стороне. Попробуйте ещё раз.",
  NETWORK: "Нет связи с сервером. Проверьте подключение и попробуйте ещё раз.",
};

// The sign-in's TOO_MANY_ATTEMPTS on field captchaAnswer: the number is guarded, a solved
// captcha lets the attempt through (without the field it is the address: wait).
export const CAPTCHA_NEEDED =
  "Слишком много неудачных попыток входа с этим номером. Введите символы с картинки и войдите снова.";

export function errorMessage(error) {
  return ERROR_MESSAGES[error.code] ?? error.message ?? ERROR_MESSAGES.INTERNAL_SERVER_ERROR;
}

export const BALANCE_STATE = {
  POSITIVE: "В порядке",
  LOW: "Мало средств",
  NEGATIVE: "Минус на счёте",
};

export const PACKAGE_UNIT = { MINUTES: "мин", MESSAGES: "SMS", MEGABYTES: "МБ" };

export const CATEGORY = {
  CALLS: "Звонки",
  MESSAGES: "Сообщения",
  MOBILE_INTERNET: "Мобильный интернет",
  SUBSCRIPTION: "Абонентская плата",
  ONE_TIME: "Разовые списания",
  ROAMING: "Роуминг",
};

export const USAGE_KIND = {
  CALL: "Звонок",
  SMS: "SMS",
  MMS: "MMS",
  DATA: "Интернет",
  SUBSCRIPTION_FEE: "Абонентская плата",
  ONE_TIME: "Разовое списание",
  ROAMING: "Роуминг",
};

export const DIRECTION = { IN: "входящий", OUT: "исходящий" };

export const SECTION = {
  SUMMARY: "Итоги",
  BALANCES: "Баланс на начало и конец",
  PACKAGES: "Пакеты",
  PROMISED_PAYMENTS: "Обещанные платежи",
  CALLS: "Звонки",
  MESSAGES: "Сообщения",
  MOBILE_INTERNET: "Мобильный интернет",
  CHARGES: "Прочие списания",
  PAYMENTS: "Платежи",
};

export const FORMAT = {
  HTML: "Веб-страница (HTML)",
  PDF: "Документ (PDF)",
  XLSX: "Таблица Excel (XLSX)",
  CSV: "Данные (CSV)",
};

export const DELIVERY = {
  ARCHIVE: "В личный архив",
  EMAIL: "По электронной почте",
  PAPER: "Бумажная копия в салоне",
};

export const ORDER_STATUS = {
  PENDING: "В очереди",
  RENDERING: "Готовится",
  READY: "Готова",
  EXPIRED: "Срок хранения истёк",
  FAILED: "Не удалась",
  CANCELED: "Отменена",
};

export const DELIVERY_STATUS = {
  NONE: "",
  PENDING: "Отправляется",
  SENT: "Отправлена на почту",
  FAILED: "Не удалось отправить",
  AT_STORE: "Ждёт в салоне",
};

export const FREQUENCY = { WEEKLY: "Каждую неделю", MONTHLY: "Каждый месяц" };
