"""People: Russian full names, e-mail addresses, phone numbers, contact lists."""

from __future__ import annotations

import random
from collections.abc import Container, Iterator
from dataclasses import dataclass

from detalka.seed.catalog import RegionSpec

HOME_ZONE = "Домашний регион"
RUSSIA_ZONE = "Россия"

# (name, patronymic of a son, patronymic of a daughter)
_FATHERS = (
    ("Александр", "Александрович", "Александровна"),
    ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Иван", "Иванович", "Ивановна"),
    ("Игорь", "Игоревич", "Игоревна"),
    ("Максим", "Максимович", "Максимовна"),
    ("Михаил", "Михайлович", "Михайловна"),
    ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"),
    ("Павел", "Павлович", "Павловна"),
    ("Сергей", "Сергеевич", "Сергеевна"),
    ("Юрий", "Юрьевич", "Юрьевна"),
    ("Владимир", "Владимирович", "Владимировна"),
    ("Виктор", "Викторович", "Викторовна"),
    ("Рустам", "Рустамович", "Рустамовна"),
    ("Ильдар", "Ильдарович", "Ильдаровна"),
)
_MALE_NAMES = (
    "Александр", "Алексей", "Андрей", "Артём", "Владимир", "Дмитрий", "Денис", "Евгений",
    "Иван", "Илья", "Кирилл", "Максим", "Михаил", "Никита", "Николай", "Павел", "Роман",
    "Сергей", "Тимур", "Ярослав", "Айдар", "Руслан",
)  # fmt: skip
_FEMALE_NAMES = (
    "Анастасия", "Анна", "Валентина", "Виктория", "Дарья", "Екатерина", "Елена", "Ирина",
    "Ксения", "Людмила", "Мария", "Наталья", "Ольга", "Полина", "Светлана", "Софья",
    "Татьяна", "Юлия", "Алсу", "Гульнара",
)  # fmt: skip
# (masculine, feminine)
_SURNAMES = (
    ("Иванов", "Иванова"), ("Смирнов", "Смирнова"), ("Кузнецов", "Кузнецова"),
    ("Попов", "Попова"), ("Васильев", "Васильева"), ("Петров", "Петрова"),
    ("Соколов", "Соколова"), ("Михайлов", "Михайлова"), ("Новиков", "Новикова"),
    ("Фёдоров", "Фёдорова"), ("Морозов", "Морозова"), ("Волков", "Волкова"),
    ("Алексеев", "Алексеева"), ("Лебедев", "Лебедева"), ("Семёнов", "Семёнова"),
    ("Егоров", "Егорова"), ("Павлов", "Павлова"), ("Козлов", "Козлова"),
    ("Степанов", "Степанова"), ("Николаев", "Николаева"), ("Орлов", "Орлова"),
    ("Андреев", "Андреева"), ("Макаров", "Макарова"), ("Никитин", "Никитина"),
    ("Захаров", "Захарова"), ("Зайцев", "Зайцева"), ("Соловьёв", "Соловьёва"),
    ("Борисов", "Борисова"), ("Яковлев", "Яковлева"), ("Григорьев", "Григорьева"),
    ("Романов", "Романова"), ("Воробьёв", "Воробьёва"), ("Сергеев", "Сергеева"),
    ("Ковалевский", "Ковалевская"), ("Вишневский", "Вишневская"), ("Галиев", "Галиева"),
    ("Хабибуллин", "Хабибуллина"), ("Сафин", "Сафина"), ("Шевчук", "Шевчук"),
    ("Черных", "Черных"), ("Ким", "Ким"), ("Ильин", "Ильина"), ("Гусев", "Гусева"),
)  # fmt: skip
_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya",
    }
)  # fmt: skip
# Reserved for documentation (RFC 2606): nobody receives a demo subscriber's report.
_MAIL_DOMAINS = ("example.com", "example.net", "example.org")

# Short numbers: (number, what a call or message to it is)
SUPPORT_NUMBER = "0890"
SERVICE_SENDERS = ("900", "3443", "7377", "0611")


@dataclass(frozen=True)
class Person:
    full_name: str
    first_name: str
    surname: str


@dataclass(frozen=True)
class Contact:
    number: str
    zone: str


def person(rng: random.Random) -> Person:
    female = rng.random() < 0.5
    first = rng.choice(_FEMALE_NAMES if female else _MALE_NAMES)
    _, son, daughter = rng.choice(_FATHERS)
    surname = rng.choice(_SURNAMES)[1 if female else 0]
    return Person(f"{surname} {first} {daughter if female else son}", first, surname)


def email_for(rng: random.Random, who: Person) -> str:
    first = who.first_name.lower().translate(_TRANSLIT)
    last = who.surname.lower().translate(_TRANSLIT)
    local = rng.choice((f"{first}.{last}", f"{first[0]}.{last}", f"{last}.{first}"))
    if rng.random() < 0.5:
        local += str(rng.randrange(1970, 2008))
    return f"{local}@{rng.choice(_MAIL_DOMAINS)}"


def msisdns(rng: random.Random, taken: Container[str]) -> Iterator[str]:
    """An endless stream of distinct mobile numbers, none of them in ``taken``."""
    seen: set[str] = set()
    while True:
        number = f"+79{rng.randrange(10**9):09d}"
        if number not in taken and number not in seen:
            seen.add(number)
            yield number


def contacts(rng: random.Random, region: RegionSpec, size: int) -> list[Contact]:
    """A stable contact list, most frequent first: family, friends, work, the odd landline."""
    result = []
    for _ in range(size):
        if rng.random() < 0.15:
            code = rng.choice(region.landline_codes)
            number = f"+7{code}{rng.randrange(10 ** (10 - len(code))):0{10 - len(code)}d}"
            result.append(Contact(number, HOME_ZONE))
        else:
            zone = HOME_ZONE if rng.random() < 0.75 else RUSSIA_ZONE
            result.append(Contact(f"+79{rng.randrange(10**9):09d}", zone))
    return result


def random_caller(rng: random.Random) -> Contact:
    """Someone outside the contact list: a courier, a clinic, a call centre."""
    return Contact(f"+79{rng.randrange(10**9):09d}", RUSSIA_ZONE)
