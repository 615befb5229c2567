from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest

from detalka.jobs.app import Jobs
from detalka.jobs.runtime import WorkerProcess
from detalka.models import SignInThrottle, Subscriber
from detalka.passwords import hash_password
from detalka.seed import SeedReport
from detalka.seed.population import DEMO_MSISDN
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.browser import (
    PHONE,
    Server,
    chromium,
    money_at,
    open_tab,
    page_in,
    require_chromium,
    screenshot,
    shown_money,
    sign_in,
    wait_for_rows,
)
from tests.client import free_port, served
from tests.conftest import SEED_NOW
from tests.factories import KnownCaptcha, MovableClock
from tests.mail import sms_password
from tests.polling import eventually

# The server runs on the shared session database; SQLite is the embedded mode a browser meets.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

FEBRUARY = {"from": "2026-02-01", "to": "2026-02-28"}
MOSCOW = ZoneInfo("Europe/Moscow")
OVERVIEW = """{ viewer { balances { main { amount { amount } } additional { amount { amount } }
  state promisedDebt { amount } } packages { kind remaining included } } }"""
EXPENSES = """query($p: PeriodInput!) { viewer { expenses(period: $p) { total { amount }
  byCategory { category amount { amount } count } byDay { date amount { amount } } } } }"""
USAGE_IDS = """query($p: PeriodInput!, $after: String) { viewer { usage(period: $p, first: 20,
  after: $after) { edges { node { id } } pageInfo { endCursor } } } }"""
PREVIEW = """mutation($i: DetailOrderInput!) { detailOrderPreview(input: $i) {
  preview { estimatedRows } } }"""
ORDERS = """{ viewer { detailOrders(first: 1) { edges { node { id status format
  document { expiresAt } } } } } }"""
SCHEDULES = "{ viewer { detailSchedules { id paused } } }"


@pytest.fixture(scope="module")
async def server(
    seeded: SeedReport, db: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    require_chromium()
    port = free_port()
    settings = db.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("cabinet"),
            "captcha": "image",
            "public_url": f"http://127.0.0.1:{port}",
        }
    )
    clock = MovableClock(SEED_NOW)
    jobs = Jobs.for_settings(settings, clock)
    app = create_app(settings, open_db=False, clock=clock, captcha=KnownCaptcha(), jobs=jobs)
    async with WorkerProcess(jobs.broker, shutdown_timeout_s=20):
        async with served(app, port=port) as address:
            async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http:
                yield Server(f"http://{address}", http, settings.data_dir)
    jobs.broker.close()


@pytest.fixture(scope="module")
async def browser(server: Server) -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


async def test_the_demo_login_shows_balances_and_a_month_of_expenses_equal_to_the_api(
    browser: Any, server: Server
) -> None:
    async with page_in(browser, SEED_NOW) as (page, watch):
        # given the demo subscriber signed in through the form
        await page.goto(f"{server.base}/app/")
        await page.wait_for_selector(
            "#signin select[name=regionCode] option[value=MOW]", state="attached"
        )
        await screenshot(page, "01-sign-in")
        await sign_in(page, server)
        token = await server.session_token()
        api = await server.data(OVERVIEW, token=token)
        balances = api["viewer"]["balances"]
        # then the overview shows the API's balances, state, debt and packages
        assert await money_at(page, "#main-balance .big") == Decimal(
            balances["main"]["amount"]["amount"]
        )
        assert await money_at(page, "#promised-debt .big") == Decimal(
            balances["promisedDebt"]["amount"]
        )
        shown_additional = [
            shown_money(t)
            for t in await page.locator("#additional-balances .money").all_inner_texts()
        ]
        assert shown_additional == [Decimal(b["amount"]["amount"]) for b in balances["additional"]]
        assert (
            await page.get_attribute("#main-balance [data-state]", "data-state")
            == balances["state"]
        )
        packages = api["viewer"]["packages"]
        assert packages and await page.locator("#packages .package").count() == len(packages)
        await screenshot(page, "02-overview")

        # when February is chosen on the expenses screen
        await open_tab(page, "Расходы", "#expenses-total")
        await page.click("#expenses button.chip:text-is('Прошлый месяц')")
        await page.wait_for_selector("#expenses h2:text-is('За 01.02.2026 – 28.02.2026')")
        # then the total, every category and every day equal the API's numbers for it
        expenses = (await server.data(EXPENSES, {"p": FEBRUARY}, token=token))["viewer"]["expenses"]
        assert await money_at(page, "#expenses-total") == Decimal(expenses["total"]["amount"])
        assert Decimal(expenses["total"]["amount"]) > 0
        for category in expenses["byCategory"]:
            row = page.locator(f"tr[data-category={category['category']}]")
            cells = await row.locator("td").all_inner_texts()
            assert int(cells[1]) == category["count"]
            assert shown_money(cells[2]) == Decimal(category["amount"]["amount"])
        days = await page.locator("#daily rect").evaluate_all(
            "rs => rs.map(r => [r.dataset.date, r.textContent])"
        )
        assert [d for d, _ in days] == [d["date"] for d in expenses["byDay"]]
        for (_, title), day in zip(days, expenses["byDay"], strict=True):
            assert shown_money(title.split(": ")[1]) == Decimal(day["amount"]["amount"])
        await screenshot(page, "03-expenses")
        # and a reversed period is explained in Russian, the subscriber still signed in
        await page.fill("#expenses input[name=from]", "2026-02-20")
        await page.fill("#expenses input[name=to]", "2026-02-10")
        await page.wait_for_selector("#expenses .errors:has-text('Начало периода позже его конца')")
        assert await page.locator("#sign-out").is_visible()

        # when the usage table is paged through February
        await open_tab(page, "Звонки и списания", "#usage")
        await page.click("#usage button.chip:text-is('Прошлый месяц')")
        first_api = (await server.data(USAGE_IDS, {"p": FEBRUARY}, token=token))["viewer"]["usage"]
        first_ids = [e["node"]["id"] for e in first_api["edges"]]
        assert len(first_ids) == 20
        await wait_for_rows(page, first_ids)
        await screenshot(page, "04-usage")
        await page.click("#usage button:text-is('Далее →')")
        after = first_api["pageInfo"]["endCursor"]
        second_api = await server.data(USAGE_IDS, {"p": FEBRUARY, "after": after}, token=token)
        second_ids = [e["node"]["id"] for e in second_api["viewer"]["usage"]["edges"]]
        assert second_ids and not set(second_ids) & set(first_ids)
        # then each page holds the API's page, forward and back
        await wait_for_rows(page, second_ids)
        assert await page.inner_text(".page-number") == "Страница 2"
        await page.click("#usage button:text-is('← Назад')")
        await wait_for_rows(page, first_ids)
        # and a kind filter leaves only that kind
        await page.check("#usage input[name=kind][value=CALL]")
        await page.wait_for_function(
            "() => { const r = [...document.querySelectorAll('#usage tbody tr')];"
            " return r.length > 0 && r.every(x => x.dataset.kind === 'CALL'); }"
        )
        watch.assert_clean()


async def test_an_xlsx_order_goes_to_ready_live_and_downloads_as_a_workbook(
    browser: Any, server: Server
) -> None:
    async with page_in(browser, SEED_NOW) as (page, watch):
        # given the demo subscriber on the order screen, February as an XLSX to the archive
        await sign_in(page, server)
        await page.evaluate("window.notReloaded = true")
        await open_tab(page, "Заказать детализацию", "#order form")
        await page.click("#order button.chip:text-is('Прошлый месяц')")
        await page.select_option("#order select[name=format]", "XLSX")
        # when it is reviewed
        await page.click("#order button:text-is('Проверить заказ')")
        await page.wait_for_selector("#order-review")
        # then the preview's estimate is the API's
        token = await server.session_token()
        estimate = await server.data(
            PREVIEW,
            {"i": {"period": FEBRUARY, "format": "XLSX", "delivery": "ARCHIVE"}},
            token=token,
        )
        rows = estimate["detailOrderPreview"]["preview"]["estimatedRows"]
        assert f"около {rows} " in await page.inner_text("#estimated-rows")
        await screenshot(page, "05-order-review")
        # when it is placed
        await page.click("#order-review button:text-is('Заказать')")
        await page.wait_for_selector("#archive")
        placed = await newest_order(server, token)
        card = page.locator(f"li.order[data-id='{placed['id']}']")
        # then it turns READY on the page without a reload, told by the subscription
        await card.and_(page.locator("[data-status=READY]")).wait_for(timeout=60_000)
        assert await page.evaluate("window.notReloaded") is True
        assert any(placed["id"] in f and '"READY"' in f and '"next"' in f for f in watch.frames)
        ready = await newest_order(server, token)
        assert (ready["id"], ready["status"], ready["format"]) == (placed["id"], "READY", "XLSX")
        expires = datetime.fromisoformat(ready["document"]["expiresAt"]).astimezone(MOSCOW)
        assert f"Хранится до {expires:%d.%m.%Y, %H:%M}" in await card.inner_text()
        await screenshot(page, "06-archive-ready")
        # and the link downloads a real workbook
        async with page.expect_download() as downloading:
            await card.locator(".download a").click()
        download = await downloading.value
        content = await asyncio.to_thread(Path(await download.path()).read_bytes)
        assert download.suggested_filename.endswith(".xlsx")
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            assert {"[Content_Types].xml", "xl/workbook.xml"} <= set(archive.namelist())
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        header = [
            c for row in workbook.worksheets[0].iter_rows(max_row=10, values_only=True) for c in row
        ]
        assert DEMO_MSISDN in header
        watch.assert_clean()


async def newest_order(server: Server, token: str) -> dict[str, Any]:
    data = await server.data(ORDERS, token=token)
    order: dict[str, Any] = data["viewer"]["detailOrders"]["edges"][0]["node"]
    return order


async def another_subscriber(seeded: SeedReport) -> Subscriber:
    """A live seeded number other than the demo one, in whatever home region it has."""
    found = (
        await Subscriber.filter(id__in=seeded.subscriber_ids, deactivated_at=None)
        .exclude(msisdn=DEMO_MSISDN)
        .order_by("id")
        .first()
        .select_related("home_region")
    )
    assert found is not None
    return found


async def misread_captcha(page: Any, form: str) -> None:
    """Answer the captcha of ``form`` wrong: the app says so in Russian and shows a new one."""
    first = await page.get_attribute(f"{form} .captcha img", "src")
    await page.fill(f"{form} input[name=captchaAnswer]", "WRONG")
    await page.click(f"{form} button[type=submit]")
    await page.wait_for_selector(
        f"{form} .field-error:has-text('Символы с картинки введены неверно')"
    )
    await page.wait_for_function(
        f"(old) => document.querySelector('{form} .captcha img')?.src !== old", arg=first
    )


async def test_a_password_by_sms_through_the_captcha_signs_another_number_in_and_out(
    browser: Any, server: Server, seeded: SeedReport
) -> None:
    other = await another_subscriber(seeded)
    async with page_in(browser, SEED_NOW) as (page, watch):
        # given the password screen, reached from the sign-in form
        await page.goto(f"{server.base}/app/")
        await page.click("text=Получить пароль по SMS")
        await page.wait_for_selector("#password .captcha img")
        await page.fill("#password input[name=msisdn]", other.msisdn)
        # when the captcha is misread, the app says so in Russian and shows a new picture
        await misread_captcha(page, "#password")
        await screenshot(page, "07-password-captcha")
        # when it is read right
        await page.fill("#password input[name=captchaAnswer]", KnownCaptcha.answer)
        await page.click("#password button[type=submit]")
        await page.wait_for_selector("#password-sent")
        await screenshot(page, "08-password-sent")
        password = await sms_password(server.data_dir, other.msisdn)
        # then the SMS password signs the number in, the number already filled in
        await page.click("#password-sent button")
        assert await page.input_value("#signin input[name=msisdn]") == other.msisdn
        await sign_in(page, server, other.msisdn, password, other.home_region.code)
        assert await page.inner_text(".who .msisdn") == other.msisdn
        token = await page.evaluate("sessionStorage.getItem('detalka.session')")
        # when the subscriber signs out
        await page.click("#sign-out")
        await page.wait_for_selector("#signin .notice:has-text('Вы вышли')")
        await screenshot(page, "09-signed-out")
        # then the session is over for the API too, and the browser keeps no token
        refused = await server.post("{ viewer { id } }", token=token)
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert await page.evaluate("sessionStorage.getItem('detalka.session')") is None
        watch.assert_clean()


async def test_after_five_failed_sign_ins_the_form_asks_a_captcha_and_lets_the_owner_in(
    browser: Any, server: Server, seeded: SeedReport
) -> None:
    # given a number with a password of its own (not the SMS test's number)
    owner = (
        await Subscriber.filter(id__in=seeded.subscriber_ids, deactivated_at=None)
        .exclude(msisdn=DEMO_MSISDN)
        .order_by("id")
        .offset(1)
        .first()
        .select_related("home_region")
    )
    assert owner is not None
    await Subscriber.filter(id=owner.id).update(password_hash=hash_password("owner-secret-1"))
    region = owner.home_region.code
    async with page_in(browser, SEED_NOW) as (page, watch):
        await page.goto(f"{server.base}/app/")
        await page.wait_for_selector(f"#signin option[value={region}]", state="attached")
        await page.fill("#signin input[name=msisdn]", owner.msisdn)
        await page.select_option("#signin select[name=regionCode]", region)
        # when someone fails five times
        for n in range(1, 6):
            await page.fill("#signin input[name=password]", f"guess-{n}")
            await page.click("#signin button[type=submit]")
            await page.wait_for_selector("#signin .errors:has-text('Неверный номер')")
            await eventually(
                lambda n=n: SignInThrottle.filter(msisdn=owner.msisdn, failures=n).exists(),
                explain=f"failure {n} was not counted",
            )
            await page.wait_for_selector("#signin button[type=submit]:not([disabled])")
        assert await page.query_selector("#signin .captcha") is None
        # then the right password alone is not enough: the form grows a captcha and says why
        await page.fill("#signin input[name=password]", "owner-secret-1")
        await page.click("#signin button[type=submit]")
        await page.wait_for_selector("#signin .field-error:has-text('Введите символы с картинки')")
        await screenshot(page, "12-signin-captcha")
        # a misread captcha is said so, with a new picture
        await misread_captcha(page, "#signin")
        # and the owner who reads it right is in at once, not in 15 minutes
        await page.fill("#signin input[name=captchaAnswer]", KnownCaptcha.answer)
        await page.click("#signin button[type=submit]")
        await page.wait_for_selector("#overview #main-balance")
        assert await page.inner_text(".who .msisdn") == owner.msisdn
        # when the owner signs out and the server's answer comes after it has closed the
        # session's socket (as it does within a second): still "signed out", not "expired"
        await page.route("**/graphql", _answer_sign_out_late)
        await page.click("#sign-out")
        await page.wait_for_selector("#signin .notice:has-text('Вы вышли')")
        watch.assert_clean()


async def _answer_sign_out_late(route: Any) -> None:
    if "SignOut" not in (route.request.post_data or ""):
        await route.continue_()
        return
    answer = await route.fetch()  # the session ends now; its socket closes within a second
    await asyncio.sleep(2.5)
    await route.fulfill(response=answer)


async def test_a_periodic_report_is_set_up_paused_and_deleted(browser: Any, server: Server) -> None:
    async with page_in(browser, SEED_NOW) as (page, watch):
        # given the demo subscriber on the schedules screen
        await sign_in(page, server)
        await open_tab(page, "По расписанию", "#new-schedule")
        before = {s["id"] for s in await schedules(server)}
        # when a weekly CSV schedule is set up
        await page.select_option("#new-schedule select[name=frequency]", "WEEKLY")
        await page.select_option("#new-schedule select[name=format]", "CSV")
        await page.click("#new-schedule button:text-is('Подключить')")
        (created,) = [s for s in await wait_new_schedule(page, server, before)]
        card = page.locator(f"li.schedule[data-id='{created['id']}']")
        await card.wait_for()
        assert "Каждую неделю" in await card.inner_text()
        await screenshot(page, "10-schedules")
        # when it is paused, then it is paused for the API
        await card.locator("button:text-is('Приостановить')").click()
        await page.locator(f"li.schedule[data-id='{created['id']}'][data-paused=true]").wait_for()
        assert {s["id"]: s["paused"] for s in await schedules(server)}[created["id"]] is True
        # when it is deleted (asked twice), then it is gone
        await card.locator("button:text-is('Удалить')").click()
        await card.locator("button:text-is('Да, удалить')").click()
        await card.wait_for(state="detached")
        assert created["id"] not in {s["id"] for s in await schedules(server)}
        watch.assert_clean()


async def schedules(server: Server) -> list[dict[str, Any]]:
    data = await server.data(SCHEDULES, token=await server.session_token())
    found: list[dict[str, Any]] = data["viewer"]["detailSchedules"]
    return found


async def wait_new_schedule(page: Any, server: Server, before: set[str]) -> list[dict[str, Any]]:
    await page.wait_for_function(
        "n => document.querySelectorAll('li.schedule').length > n", arg=len(before)
    )
    return [s for s in await schedules(server) if s["id"] not in before]


async def test_every_screen_fits_a_phone_without_sideways_scrolling(
    browser: Any, server: Server
) -> None:
    async with page_in(browser, SEED_NOW, PHONE) as (page, watch):
        await page.goto(f"{server.base}/app/")
        await page.wait_for_selector("#signin option[value=MOW]", state="attached")
        await screenshot(page, "phone-01-sign-in")
        await sign_in(page, server)
        screens = [
            ("overview", "#packages .package"),
            ("expenses", "#daily rect"),
            ("usage", "#usage tbody tr"),
            ("order", "#order form"),
            ("archive", "#archive ul.orders"),
            ("schedules", "#new-schedule"),
        ]
        for number, (route, ready) in enumerate(screens, start=2):
            await page.goto(f"{server.base}/app/#/{route}")
            await page.wait_for_selector(ready, state="attached")
            await page.wait_for_function("() => !document.body.innerText.includes('Загрузка…')")
            await screenshot(page, f"phone-{number:02d}-{route}")
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{route} scrolls sideways by {overflow}px on a phone"
        watch.assert_clean()


async def test_graphiql_comes_up_from_detalkas_own_assets(browser: Any, server: Server) -> None:
    async with page_in(browser, SEED_NOW) as (page, watch):
        # when GraphiQL is opened on a machine that reaches no CDN
        await page.goto(f"{server.base}/graphql")
        # then its editor comes up (the SRI hashes of the vendored files check out)
        await page.wait_for_selector(".graphiql-container .graphiql-query-editor .CodeMirror")
        assert "Loading..." not in await page.inner_text("#graphiql")
        await screenshot(page, "11-graphiql")
        watch.assert_clean()


async def test_a_session_ended_elsewhere_sends_the_subscriber_back_to_sign_in_at_once(
    browser: Any, server: Server
) -> None:
    async with page_in(browser, SEED_NOW) as (page, watch):
        # given the demo subscriber signed in, and that session ended from somewhere else
        await sign_in(page, server)
        token = await page.evaluate("sessionStorage.getItem('detalka.session')")
        ended = await server.data("mutation { sessionDelete { ended } }", token=token)
        assert ended["sessionDelete"]["ended"] is True
        # then the server closes the session's socket (4403, within a second: #11) and the
        # app, without a click, says the session is over and forgets the token
        await page.wait_for_selector("#signin .notice", timeout=10_000)
        assert "Сеанс завершён" in await page.inner_text("#signin .notice")
        assert await page.evaluate("sessionStorage.getItem('detalka.session')") is None
        watch.assert_clean()
