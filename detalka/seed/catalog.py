"""Reference data of the demo operator: regions and their stores, tariffs, roaming countries.

Prices are whole kopecks here; the models take rubles (``from_kopecks``).
"""

from __future__ import annotations

from dataclasses import dataclass

from detalka.models.enums import PackageKind, PackageUnit


@dataclass(frozen=True)
class StoreSpec:
    name: str
    address: str


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    time_zone: str
    landline_codes: tuple[str, ...]  # area codes after +7, for contacts' fixed lines
    stores: tuple[StoreSpec, ...]


@dataclass(frozen=True)
class AllowanceSpec:
    kind: PackageKind
    name: str
    included: int
    unit: PackageUnit


@dataclass(frozen=True)
class TariffSpec:
    name: str
    monthly_fee: int
    minute_price: int
    sms_price: int
    mms_price: int
    megabyte_price: int
    allowances: tuple[AllowanceSpec, ...]

    def included(self, kind: PackageKind) -> int:
        return next((a.included for a in self.allowances if a.kind is kind), 0)


@dataclass(frozen=True)
class CountrySpec:
    """A roaming destination and its prices (no package ever applies abroad)."""

    name: str
    time_zone: str
    minute_out: int
    minute_in: int
    sms_out: int
    megabyte: int
    daily_fee: int


def _allowances(minutes: int, messages: int, gigabytes: int) -> tuple[AllowanceSpec, ...]:
    return (
        AllowanceSpec(
            PackageKind.VOICE, "Минуты на звонки по России", minutes, PackageUnit.MINUTES
        ),
        AllowanceSpec(PackageKind.SMS, "SMS по России", messages, PackageUnit.MESSAGES),
        AllowanceSpec(
            PackageKind.DATA, "Мобильный интернет", gigabytes * 1024, PackageUnit.MEGABYTES
        ),
    )


REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec(
        "MOW",
        "Москва",
        "Europe/Moscow",
        ("495", "499"),
        (
            StoreSpec("Салон связи на Тверской", "г. Москва, ул. Тверская, д. 15"),
            StoreSpec("Салон связи на Арбате", "г. Москва, ул. Арбат, д. 24"),
            StoreSpec("Салон связи в ТЦ «Европейский»", "г. Москва, пл. Киевского Вокзала, д. 2"),
            StoreSpec("Салон связи на Профсоюзной", "г. Москва, ул. Профсоюзная, д. 56"),
        ),
    ),
    RegionSpec(
        "SPE",
        "Санкт-Петербург",
        "Europe/Moscow",
        ("812",),
        (
            StoreSpec("Салон связи на Невском", "г. Санкт-Петербург, Невский пр., д. 48"),
            StoreSpec("Салон связи на Московском", "г. Санкт-Петербург, Московский пр., д. 137"),
            StoreSpec("Салон связи на Васильевском", "г. Санкт-Петербург, Средний пр. В.О., д. 36"),
        ),
    ),
    RegionSpec(
        "BA",
        "Республика Башкортостан",
        "Asia/Yekaterinburg",
        ("347",),
        (
            StoreSpec("Салон связи на Ленина", "г. Уфа, ул. Ленина, д. 32"),
            StoreSpec("Салон связи на проспекте Октября", "г. Уфа, пр. Октября, д. 93"),
            StoreSpec("Салон связи в Стерлитамаке", "г. Стерлитамак, пр. Ленина, д. 41"),
        ),
    ),
    RegionSpec(
        "KO",
        "Республика Коми",
        "Europe/Moscow",
        ("8212",),
        (
            StoreSpec(
                "Салон связи на Коммунистической", "г. Сыктывкар, ул. Коммунистическая, д. 48"
            ),
            StoreSpec("Салон связи в Ухте", "г. Ухта, пр. Ленина, д. 26"),
        ),
    ),
    RegionSpec(
        "KDA",
        "Краснодарский край",
        "Europe/Moscow",
        ("861",),
        (
            StoreSpec("Салон связи на Красной", "г. Краснодар, ул. Красная, д. 109"),
            StoreSpec("Салон связи в Сочи", "г. Сочи, Курортный пр., д. 16"),
            StoreSpec("Салон связи в Новороссийске", "г. Новороссийск, ул. Советов, д. 21"),
        ),
    ),
    RegionSpec(
        "KGD",
        "Калининградская область",
        "Europe/Kaliningrad",
        ("4012",),
        (
            StoreSpec("Салон связи на Ленинском", "г. Калининград, Ленинский пр., д. 30"),
            StoreSpec(
                "Салон связи на Московском проспекте", "г. Калининград, Московский пр., д. 95"
            ),
        ),
    ),
    RegionSpec(
        "PRI",
        "Приморский край",
        "Asia/Vladivostok",
        ("423",),
        (
            StoreSpec("Салон связи на Светланской", "г. Владивосток, ул. Светланская, д. 29"),
            StoreSpec("Салон связи на Алеутской", "г. Владивосток, ул. Алеутская, д. 11"),
            StoreSpec("Салон связи в Находке", "г. Находка, Находкинский пр., д. 58"),
        ),
    ),
    RegionSpec(
        "NVS",
        "Новосибирская область",
        "Asia/Novosibirsk",
        ("383",),
        (
            StoreSpec("Салон связи на Красном проспекте", "г. Новосибирск, Красный пр., д. 77"),
            StoreSpec("Салон связи на Гоголя", "г. Новосибирск, ул. Гоголя, д. 13"),
        ),
    ),
    RegionSpec(
        "SVE",
        "Свердловская область",
        "Asia/Yekaterinburg",
        ("343",),
        (
            StoreSpec("Салон связи на Вайнера", "г. Екатеринбург, ул. Вайнера, д. 9"),
            StoreSpec("Салон связи на Малышева", "г. Екатеринбург, ул. Малышева, д. 84"),
            StoreSpec("Салон связи в Нижнем Тагиле", "г. Нижний Тагил, пр. Ленина, д. 37"),
        ),
    ),
    RegionSpec(
        "TA",
        "Республика Татарстан",
        "Europe/Moscow",
        ("843",),
        (
            StoreSpec("Салон связи на Баумана", "г. Казань, ул. Баумана, д. 44"),
            StoreSpec("Салон связи в Набережных Челнах", "г. Набережные Челны, пр. Мира, д. 52"),
        ),
    ),
)

TARIFFS: tuple[TariffSpec, ...] = (
    TariffSpec("Минимум", 19000, 290, 250, 750, 50, _allowances(100, 50, 3)),
    TariffSpec("Базовый", 35000, 250, 200, 700, 40, _allowances(300, 100, 10)),
    TariffSpec("Оптимальный", 55000, 200, 190, 650, 30, _allowances(600, 300, 25)),
    TariffSpec("Максимум", 90000, 150, 150, 600, 20, _allowances(1500, 500, 50)),
    TariffSpec("Без абонентской платы", 0, 290, 250, 800, 250, ()),
)

COUNTRIES: tuple[CountrySpec, ...] = (
    CountrySpec("Турция", "Europe/Istanbul", 4900, 2900, 1900, 990, 9900),
    CountrySpec("Египет", "Africa/Cairo", 7900, 4900, 1900, 1490, 14900),
    CountrySpec("ОАЭ", "Asia/Dubai", 7900, 4900, 2500, 1490, 14900),
    CountrySpec("Таиланд", "Asia/Bangkok", 6900, 3900, 1900, 1290, 12900),
    CountrySpec("Грузия", "Asia/Tbilisi", 3900, 1900, 1500, 590, 5900),
    CountrySpec("Армения", "Asia/Yerevan", 3900, 1900, 1500, 590, 5900),
    CountrySpec("Казахстан", "Asia/Almaty", 2900, 1500, 1200, 490, 4900),
    CountrySpec("Италия", "Europe/Rome", 5900, 3900, 1900, 990, 9900),
)
# How often each destination is chosen, in the order of COUNTRIES.
COUNTRY_WEIGHTS: tuple[int, ...] = (30, 10, 10, 8, 12, 10, 12, 8)

REGION_BY_CODE = {r.code: r for r in REGIONS}
TARIFF_BY_NAME = {t.name: t for t in TARIFFS}
COUNTRY_BY_NAME = {c.name: c for c in COUNTRIES}
