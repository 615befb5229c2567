"""Fixed sets of the domain; their values are the API's enum values."""

from enum import StrEnum


class PackageKind(StrEnum):
    VOICE = "VOICE"
    SMS = "SMS"
    DATA = "DATA"


class PackageUnit(StrEnum):
    MINUTES = "MINUTES"
    MESSAGES = "MESSAGES"
    MEGABYTES = "MEGABYTES"


class BalanceKind(StrEnum):
    MAIN = "MAIN"
    BONUS = "BONUS"
    CASHBACK = "CASHBACK"
    CONTENT = "CONTENT"


class UsageKind(StrEnum):
    CALL = "CALL"
    SMS = "SMS"
    MMS = "MMS"
    DATA = "DATA"
    SUBSCRIPTION_FEE = "SUBSCRIPTION_FEE"
    ONE_TIME = "ONE_TIME"
    ROAMING = "ROAMING"


# What the expenses summary groups charges into (``detalka.models.expenses``).
class ExpenseCategory(StrEnum):
    CALLS = "CALLS"
    MESSAGES = "MESSAGES"
    MOBILE_INTERNET = "MOBILE_INTERNET"
    SUBSCRIPTION = "SUBSCRIPTION"
    ONE_TIME = "ONE_TIME"
    ROAMING = "ROAMING"


class Direction(StrEnum):
    IN = "IN"
    OUT = "OUT"


class PaymentMethod(StrEnum):
    CARD = "CARD"
    CASH = "CASH"
    BANK_TRANSFER = "BANK_TRANSFER"
    AUTOPAY = "AUTOPAY"
    PROMISED_PAYMENT = "PROMISED_PAYMENT"
    PROMISED_REPAYMENT = "PROMISED_REPAYMENT"


class DetailOrderStatus(StrEnum):
    PENDING = "PENDING"
    RENDERING = "RENDERING"
    READY = "READY"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class DeliveryStatus(StrEnum):
    NONE = "NONE"
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    AT_STORE = "AT_STORE"


class DeliveryMethod(StrEnum):
    ARCHIVE = "ARCHIVE"
    EMAIL = "EMAIL"
    PAPER = "PAPER"


class ReportFormat(StrEnum):
    HTML = "HTML"
    PDF = "PDF"
    XLSX = "XLSX"
    CSV = "CSV"


class ReportSection(StrEnum):
    SUMMARY = "SUMMARY"
    BALANCES = "BALANCES"
    PACKAGES = "PACKAGES"
    PROMISED_PAYMENTS = "PROMISED_PAYMENTS"
    CALLS = "CALLS"
    MESSAGES = "MESSAGES"
    MOBILE_INTERNET = "MOBILE_INTERNET"
    CHARGES = "CHARGES"
    PAYMENTS = "PAYMENTS"


class ScheduleFrequency(StrEnum):
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class WebhookEventType(StrEnum):
    """What an endpoint can hear of; the value is the payload's ``type``."""

    DETAIL_ORDER_READY = "detail_order.ready"
    DETAIL_ORDER_FAILED = "detail_order.failed"
    DETAIL_ORDER_EXPIRED = "detail_order.expired"
    DELIVERY_SENT = "delivery.sent"
    DELIVERY_FAILED = "delivery.failed"


class WebhookDeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
