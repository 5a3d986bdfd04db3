"""End to end: the demo driven in a real headless Chromium, the way a person tries it.

Each test is one step a person takes in the sandbox, in order (they share one page); add a
step as a new test using the helpers below (`run_command`, `post_message`, `last_message`,
`click_button`, `screenshot`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.cli.demo import RunningDemo
from clv.insights.lists import RankedCustomer
from clv.present.privacy import to_masked_name

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCRATCH = Path(tempfile.gettempdir()) / "clvbot-screenshots"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def page(running_demo: RunningDemo) -> Iterator[Page]:
    required = os.environ.get("CLVBOT_REQUIRE_BROWSER") == "1"  # CI: never skip it
    if not CHROMIUM.exists():
        if required:
            pytest.fail("CLVBOT_REQUIRE_BROWSER=1 but there is no /usr/bin/chromium")
        pytest.skip("no /usr/bin/chromium: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(running_demo.url)
        page.wait_for_selector("#channels li")
        yield page
        browser.close()
    assert errors == []


def messages(page: Page) -> Locator:
    return page.locator("#messages .message")


def last_message(page: Page) -> Locator:
    return messages(page).last


def wait_for_more(page: Page, before: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('#messages .message').length > n", arg=before
    )


def run_command(page: Page, text: str) -> Locator:
    """Type `text` in the composer, send it, and return the message that answers it."""
    before = messages(page).count()
    page.fill("#composer-input", text)
    page.press("#composer-input", "Enter")
    wait_for_more(page, before)
    return last_message(page)


def click_button(page: Page, message: Locator, label: str) -> None:
    before = messages(page).count()
    message.get_by_role("button", name=label).click()
    wait_for_more(page, before)


def screenshot(page: Page, name: str) -> Path:
    """A PNG of the page: into docs/screenshots with CLVBOT_SCREENSHOTS=1, else a temp dir."""
    folder = SCREENSHOTS if os.environ.get("CLVBOT_SCREENSHOTS") == "1" else SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def test_clv_shows_the_customer_card(page: Page, top_customer: RankedCustomer) -> None:
    card = run_command(page, f"/clv {top_customer.customer_id}")
    assert card.locator(".b-header").inner_text() == top_customer.name
    assert "Predicted CLV" in card.locator(".b-fields").inner_text()
    assert "Only visible to you" in card.inner_text()
    assert card.get_by_role("button", name="Why this number?").is_visible()
    assert screenshot(page, "sandbox-customer-card").stat().st_size > 10_000


def test_a_card_button_sends_a_click_to_the_bot(page: Page, top_customer: RankedCustomer) -> None:
    card = run_command(page, f"/clv {top_customer.customer_id}")
    click_button(page, card, "Why this number?")
    why = last_message(page)
    why.get_by_text("Predicted CLV", exact=False).first.wait_for()
    assert "Only visible to you" in why.inner_text()


def test_share_in_channel_posts_a_masked_card(page: Page, top_customer: RankedCustomer) -> None:
    card = run_command(page, f"/clv {top_customer.customer_id}")
    click_button(page, card, "Share in channel")
    page.get_by_text("with name and email masked").wait_for()
    shared = page.locator("#messages .message:not(.ephemeral)").last
    assert "•••" in shared.locator(".b-header").inner_text()  # chat.postMessage, masked
    assert "#general" in last_message(page).inner_text()  # <#C…> rendered as the channel name


def digest_message(page: Page) -> Locator:
    return page.locator("#messages .message", has_text="Weekly CLV digest").first


def test_post_digest_now_posts_the_digest_with_its_chart(page: Page) -> None:
    page.get_by_role("button", name="Post this week's digest now").click()
    page.wait_for_function(
        "() => !document.getElementById('digest-status').textContent.endsWith('…')"
    )
    assert "posted the digest" in page.locator("#digest-status").inner_text()
    assert page.locator("#channel-title").inner_text() == "# clv-digest"
    digest = digest_message(page)
    digest.wait_for()
    assert "Re-engagement" in digest.inner_text()
    chart = page.locator("#messages img.file-image").first
    chart.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    assert chart.evaluate("img => img.naturalWidth") >= 800
    chart.scroll_into_view_if_needed()  # the end of the digest and its chart in the thread
    assert screenshot(page, "sandbox-digest").stat().st_size > 10_000


def test_send_outreach_opens_the_modal_and_a_double_submit_sends_one_email(
    page: Page, running_demo: RunningDemo, outreach_target: RankedCustomer
) -> None:
    digest = digest_message(page)
    # the re-engagement row: a section with the customer and a button (the movers' lines can
    # name the same number, "$187 → $156"), pinned by position as its button goes away
    sections = digest.locator(".b-section")
    texts = sections.all_inner_texts()
    buttons = [sections.nth(i).get_by_role("button", name="Send outreach").count()
               for i in range(len(texts))]  # fmt: skip
    index = next(i for i, (text, n) in enumerate(zip(texts, buttons, strict=True))
                 if n and f"{outreach_target.customer_id} (" in text)  # fmt: skip
    row = sections.nth(index)
    row.get_by_role("button", name="Send outreach").click()
    # the modal: the customer (masked: the digest is in a channel), why, and the exact email
    modal = page.locator("#modal")
    modal.wait_for()
    assert modal.locator("#modal-title").inner_text() == "Send outreach"
    plain = modal.locator("#modal-body .b-section .plain")
    subject = plain.first.inner_text().removeprefix("Subject: ")
    text = "\n".join(plain.all_inner_texts()[1:])
    shown = modal.inner_text()
    assert "Why them" in shown
    assert "•••" in shown
    assert outreach_target.name not in shown.split("Subject: ")[0]
    assert subject
    assert "Hi" in text
    assert "Unsubscribe: https://shop.example.com/unsubscribe?email=" in text
    assert screenshot(page, "sandbox-outreach-modal").stat().st_size > 10_000
    assert page.locator("#outbox .email").count() == 0  # nothing is sent before Send
    modal.get_by_role("button", name="Send", exact=True).dblclick()  # a double submit
    page.get_by_text("Outreach sent by", exact=False).first.wait_for()
    page.locator("#outbox .email").first.wait_for()
    assert modal.is_hidden()
    assert row.get_by_role("button", name="Send outreach").count() == 0
    emails = page.locator("#outbox .email")
    assert emails.count() == 1
    # the email received is the one the modal showed
    assert emails.first.locator(".email-subject").inner_text() == subject
    assert emails.first.locator(".email-text").inner_text().strip() == text.strip()
    submits = [a for a in running_demo.workspace.activity
               if a["name"] == "submit “Send outreach”" and a["ok"]]  # fmt: skip
    assert len(submits) == 2  # both submissions reached the bot; the claim sent one email
    row.scroll_into_view_if_needed()
    assert screenshot(page, "sandbox-outreach").stat().st_size > 10_000
    # the customer's own card now says who contacted them instead of offering a second send
    card = run_command(page, f"/clv {outreach_target.customer_id}")
    card.get_by_text("No outreach button: contacted by", exact=False).wait_for()
    assert card.get_by_role("button", name="Send outreach").count() == 0
    assert page.locator("#outbox .email").count() == 1


def test_clv_channels_answers_with_clv_against_cac(page: Page) -> None:
    answer = run_command(page, "/clv channels")
    text = answer.inner_text()
    assert "Acquisition channels: CLV against CAC" in text
    assert "below target" in text  # the demo's paid channels fall short of 3:1
    assert "to keep 3:1, you can spend up to $" in text
    assert screenshot(page, "sandbox-channels").stat().st_size > 10_000


def test_a_months_first_digest_has_the_cohort_chart_in_its_thread(
    page: Page, running_demo: RunningDemo
) -> None:
    from sqlmodel import Session

    from clv.insights import weekly_runs
    from reports.digest.publish import digest_client, publish_digest

    settings = running_demo.settings
    with Session(running_demo.engine) as session:  # the newest backfilled first Sunday
        ends = [r.week_end for r in weekly_runs(session, weeks=13)]
        week = max(end for end in ends if end.day <= 7 and end.weekday() == 6)
    outcome = publish_digest(
        running_demo.engine, settings, digest_client(settings),
        channel=settings.digest_channel, week_end=week,
    )  # fmt: skip
    assert outcome.status == "posted", outcome.detail
    page.locator("#channels li", has_text="clv-digest").first.click()
    box = page.locator(".file", has_text="by monthly acquisition cohort").first
    chart = box.locator("img.file-image")
    chart.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    assert chart.evaluate("img => img.naturalWidth") >= 800
    chart.scroll_into_view_if_needed()
    assert screenshot(page, "sandbox-cohort-chart").stat().st_size > 10_000


def test_clv_cohorts_posts_its_chart_in_the_channel_on_a_click(page: Page) -> None:
    page.locator("#channels li", has_text="general").first.click()
    answer = run_command(page, "/clv cohorts")
    assert "Acquisition cohorts by month" in answer.inner_text()
    answer.get_by_role("button", name="Post the chart in channel").click()
    page.get_by_text("Posted the cohort chart in", exact=False).first.wait_for()
    box = page.locator(".file", has_text="by monthly acquisition cohort").last
    chart = box.locator("img.file-image")
    chart.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    chart.scroll_into_view_if_needed()
    assert screenshot(page, "sandbox-cohorts").stat().st_size > 10_000


def test_the_alerts_channel_has_the_runs_vip_alert_with_buttons(page: Page) -> None:
    page.locator("#channels li", has_text="clv-alerts").first.click()
    alert = page.locator("#messages .message", has_text="Top customers").first
    alert.wait_for()
    text = alert.inner_text()
    assert "Platinum or Gold" in text
    assert "at stake" in text
    assert "•••" in text  # names masked: a channel post
    assert alert.get_by_role("button", name="Send outreach").count() >= 1
    assert screenshot(page, "sandbox-alerts").stat().st_size > 10_000


def test_clv_export_sends_the_list_as_a_file_in_a_direct_message(page: Page) -> None:
    page.locator("#channels li", has_text="general").first.click()
    answer = run_command(page, "/clv export dormant")
    assert "direct message" in answer.inner_text()
    page.locator("#channels li", has_text="clvbot").first.click()
    page.locator(".file", has_text="clv-dormant").first.wait_for()


# --- issue 17: the App Home, unfurls, shortcuts, subscriptions ----------------------------------
def wait_for_image(page: Page, image: Locator) -> int:
    """The natural width of `image` once it has loaded."""
    image.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    width: int = image.evaluate("img => img.naturalWidth")
    return width


def test_the_app_home_shows_equity_its_trend_the_lists_and_buttons(page: Page) -> None:
    page.locator("#app-home-link").click()  # app_home_opened -> views.publish
    home = page.locator("#home")
    home.get_by_text("Customer equity", exact=False).first.wait_for()
    text = home.inner_text()
    assert "Re-engagement" in text
    assert "•••" in text  # APP_HOME_PERSONAL_DATA is off: names masked
    assert home.get_by_role("button", name="Look up a customer").is_visible()
    assert home.get_by_role("button", name="Segment").is_visible()
    assert home.get_by_role("button", name="Send outreach").count() >= 1
    chart = home.locator("img.b-image-img").first  # an image block naming an uploaded file
    assert wait_for_image(page, chart) >= 600
    assert page.locator("#channel-title").inner_text() == "clvbot"
    assert screenshot(page, "sandbox-app-home").stat().st_size > 10_000


def test_look_up_a_customer_shows_the_card_in_the_modal(
    page: Page, top_customer: RankedCustomer
) -> None:
    page.locator("#home").get_by_role("button", name="Look up a customer").click()
    modal = page.locator("#modal")
    modal.wait_for()
    assert modal.locator("#modal-title").inner_text() == "Look up a customer"
    modal.get_by_role("button", name="Look up").click()  # empty: Slack does not send it
    modal.get_by_text("Please complete this required field.").wait_for()
    modal.get_by_label("Customer id or email address").fill(top_customer.customer_id)
    modal.get_by_role("button", name="Look up").click()  # response_action: update
    # masked, as on the App Home: the demo keeps APP_HOME_PERSONAL_DATA=false
    modal.locator(".b-header", has_text=to_masked_name(top_customer.name) or "").wait_for()
    assert "Predicted CLV" in modal.inner_text()
    # what was typed stays in the input of the updated view
    assert modal.get_by_label("Customer id or email address").input_value() == (
        top_customer.customer_id
    )
    assert screenshot(page, "sandbox-lookup-modal").stat().st_size > 10_000
    modal.get_by_role("button", name="Close").click()
    assert modal.is_hidden()


def test_the_segment_button_shows_a_groups_summary_in_the_modal(page: Page) -> None:
    page.locator("#home").get_by_role("button", name="Segment").click()
    modal = page.locator("#modal")
    modal.wait_for()
    group = modal.get_by_label("Group")  # a static_select of segments, tiers and stages
    assert group.locator("optgroup").count() == 3
    group.select_option(label="Champions")
    modal.get_by_role("button", name="Show").click()  # response_action: update
    modal.get_by_text("Champions", exact=False).first.wait_for()
    page.wait_for_function("() => !document.querySelector('#modal-body select')")
    assert "customers" in modal.inner_text().lower()
    assert modal.get_by_role("button", name="Show").is_hidden()  # the summary has no submit
    modal.get_by_role("button", name="Close").click()
    assert modal.is_hidden()


def post_message(page: Page, text: str) -> Locator:
    """Post `text` from the composer as the sandbox's user; the message it became."""
    before = messages(page).count()
    page.fill("#composer-input", text)
    page.press("#composer-input", "Enter")
    wait_for_more(page, before)
    posted = page.locator("#messages .message", has_text=text.split(" ")[0]).last
    assert posted.locator(".author").inner_text() == "you"
    return posted


def test_a_pasted_customer_link_unfurls_into_the_card(
    page: Page, top_customer: RankedCustomer
) -> None:
    page.locator("#channels li", has_text="general").first.click()
    link = page.locator(".example.hint", has_text="admin.shopify.com").first.inner_text()
    assert link.endswith(f"/customers/{top_customer.customer_id}")  # the demo's hint
    page.fill("#composer-input", link)  # Slack shares it from the composer already: a preview
    preview = page.locator("#composer-preview .attachment.unfurl")
    preview.wait_for()
    assert "at stake" in preview.inner_text()
    posted = post_message(page, link)
    assert page.locator("#composer-preview").inner_text() == ""
    unfurl = posted.locator(".attachment.unfurl")
    unfurl.wait_for()  # link_shared -> chat.unfurl
    assert unfurl.get_attribute("data-url") == link
    card = unfurl.inner_text()
    assert "at stake" in card
    assert "•••" in unfurl.locator(".b-header").inner_text()  # masked: a channel sees it
    posted.scroll_into_view_if_needed()
    assert screenshot(page, "sandbox-unfurl").stat().st_size > 10_000


def test_the_message_shortcut_answers_with_the_card_of_the_customer_it_names(
    page: Page, top_customer: RankedCustomer
) -> None:
    assert top_customer.email
    posted = post_message(page, f"Could someone check on {top_customer.email} before Friday?")
    before = messages(page).count()
    posted.hover()
    posted.get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name="CLV of this customer").click()  # a message_action
    wait_for_more(page, before)
    answer = last_message(page)
    answer.locator(".b-header", has_text=top_customer.name or "").wait_for()
    assert "Only visible to you" in answer.inner_text()
    assert "Predicted CLV" in answer.inner_text()
    assert screenshot(page, "sandbox-shortcut").stat().st_size > 10_000


def test_the_global_shortcut_opens_the_look_up_modal(page: Page) -> None:
    page.get_by_role("button", name="Shortcuts").click()
    page.get_by_role("menuitem", name="Look up a customer").click()  # a shortcut payload
    modal = page.locator("#modal")
    modal.wait_for()
    assert modal.locator("#modal-title").inner_text() == "Look up a customer"
    assert modal.get_by_label("Customer id or email address").is_visible()
    modal.get_by_role("button", name="Close").click()
    assert modal.is_hidden()


def test_subscribe_a_channel_and_list_the_subscriptions(page: Page) -> None:
    # the sandbox may open on the channel an earlier test used (-k runs saw #clv-alerts)
    page.locator("#channels li", has_text="general").first.click()
    answer = run_command(page, "/clv subscribe weekly monday 09:00 Europe/Berlin")
    answer.get_by_text("Subscribed", exact=False).first.wait_for()
    assert "#general" in answer.inner_text()
    listed = run_command(page, "/clv subscriptions")
    listed.get_by_text("Digest subscriptions").wait_for()
    text = listed.inner_text()
    assert "#general" in text
    assert "Europe/Berlin" in text or "CET" in text
    assert "default" in text  # DIGEST_CHANNEL's
    assert screenshot(page, "sandbox-subscriptions").stat().st_size > 10_000
