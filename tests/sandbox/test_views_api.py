"""views.publish, views.update and views.push in the sandbox, driven by slack_sdk's WebClient
as the bot drives them, with the refusals Slack documents for each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.sandbox.workspace import USER_ID
from tests.sandbox.conftest import Sandbox
from tests.sandbox.test_webapi import BLOCKS, MODAL, tiny_png

HOME: dict[str, Any] = {"type": "home", "callback_id": "clv_home", "blocks": BLOCKS}


def refused(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as failed:
        call()
    answer: dict[str, Any] = failed.value.response.data
    return answer


def open_modal(box: Sandbox, view: dict[str, Any] = MODAL) -> dict[str, Any]:
    trigger = box.workspace.issue_trigger(f"1.T.{len(box.workspace.triggers)}")
    opened: dict[str, Any] = box.client().views_open(trigger_id=trigger, view=view)["view"]
    return opened


def test_views_publish_shows_the_home_and_republishing_keeps_its_id(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    client = box.client()

    first = client.views_publish(user_id=USER_ID, view=HOME)["view"]

    assert (first["type"], first["callback_id"]) == ("home", "clv_home")
    assert first["id"].startswith("V")
    assert first["hash"]
    assert box.workspace.snapshot()["home"] == first  # what the page's Home tab draws
    second = client.views_publish(user_id=USER_ID, view={**HOME, "blocks": [{"type": "divider"}]},
                                  hash=first["hash"])["view"]  # fmt: skip
    assert second["id"] == first["id"]
    assert second["hash"] != first["hash"]
    assert [b["type"] for b in box.workspace.snapshot()["home"]["blocks"]] == ["divider"]
    stale = refused(lambda: client.views_publish(user_id=USER_ID, view=HOME, hash=first["hash"]))
    assert stale["error"] == "hash_conflict"
    assert box.workspace.snapshot()["home"]["hash"] == second["hash"]


@pytest.mark.parametrize(
    ("view", "error"),
    [
        (MODAL, "invalid_arguments"),  # a modal is not a Home tab
        ({**HOME, "blocks": [{"type": "divider"}] * 101}, "invalid_arguments"),  # 100 at most
        ({**HOME, "private_metadata": "x" * 3001}, "invalid_arguments"),
        ({**HOME, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}]
          * 90}, "view_too_large"),  # over 250 kB
    ],
)  # fmt: skip
def test_views_publish_refuses_what_slack_refuses(
    sandbox: Callable[..., Sandbox], view: dict[str, Any], error: str
) -> None:
    box = sandbox()
    assert refused(lambda: box.client().views_publish(user_id=USER_ID, view=view))["error"] == error
    assert box.workspace.snapshot()["home"] is None


def test_views_publish_to_an_unknown_user_or_without_a_home_tab(
    sandbox: Callable[..., Sandbox],
) -> None:
    answer = refused(lambda: sandbox().client().views_publish(user_id="U0NOBODY", view=HOME))
    assert answer["error"] == "invalid_arguments"
    assert answer["response_metadata"]["messages"] == ["invalid `user_id`"]
    no_home = sandbox(home_enabled=False).client()
    assert refused(lambda: no_home.views_publish(user_id=USER_ID, view=HOME))["error"] == (
        "not_enabled"
    )


def test_an_image_must_name_an_uploaded_file_by_id_or_url(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    client = box.client()

    def chart(slack_file: dict[str, str]) -> dict[str, Any]:
        image = {"type": "image", "slack_file": slack_file, "alt_text": "Customer equity"}
        return {**HOME, "blocks": [image]}

    missing = refused(lambda: client.views_publish(user_id=USER_ID, view=chart({"id": "F0NONE"})))
    assert missing["error"] == "invalid_arguments"
    assert missing["response_metadata"]["messages"] == [
        "invalid slack_file [json-pointer:/view/blocks/0/slack_file]"
    ]
    file = client.files_upload_v2(content=tiny_png(), filename="equity.png")["file"]

    by_id = client.views_publish(user_id=USER_ID, view=chart({"id": file["id"]}))["view"]
    by_url = client.views_publish(user_id=USER_ID, view=chart({"url": file["url_private"]}))

    assert by_id["blocks"][0]["slack_file"] == {"id": file["id"]}
    assert by_url["view"]["blocks"][0]["slack_file"] == {"url": file["url_private"]}


def test_views_update_replaces_a_shown_view_by_id_or_external_id(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    client = box.client()
    opened = open_modal(box, {**MODAL, "external_id": "lookup-1"})
    looked_up = {**MODAL, "title": {"type": "plain_text", "text": "Jo Smith"}}

    by_id = client.views_update(view_id=opened["id"], view=looked_up, hash=opened["hash"])["view"]
    by_external = client.views_update(external_id="lookup-1", view={**looked_up,
                                      "external_id": "lookup-1"})["view"]  # fmt: skip

    assert by_id["id"] == by_external["id"] == opened["id"]
    assert by_id["title"]["text"] == "Jo Smith"
    assert len({opened["hash"], by_id["hash"], by_external["hash"]}) == 3
    assert box.workspace.snapshot()["modal"] == by_external
    stale = refused(lambda: client.views_update(view_id=opened["id"], view=MODAL,
                                                hash=opened["hash"]))  # fmt: skip
    assert stale["error"] == "hash_conflict"


def test_views_update_refusals(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    client = box.client()
    home = client.views_publish(user_id=USER_ID, view=HOME)["view"]
    opened = open_modal(box)
    assert refused(lambda: client.views_update(view_id="V0NONE", view=MODAL))["error"] == (
        "not_found"
    )
    assert refused(lambda: client.views_update(view_id=home["id"], view=MODAL))["error"] == (
        "invalid_arguments"  # a Home tab stays a Home tab
    )
    neither = refused(lambda: client.api_call("views.update", json={"view": MODAL}))
    assert neither["error"] == "invalid_arguments"
    box.workspace.close_view(opened["id"])
    assert refused(lambda: client.views_update(view_id=opened["id"], view=MODAL))["error"] == (
        "not_found"  # closed
    )
    updated = client.views_update(view_id=home["id"], view={**HOME, "blocks": []})["view"]
    assert box.workspace.snapshot()["home"] == updated


def test_views_push_stacks_up_to_three_views(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    client = box.client()
    nothing_open = box.workspace.issue_trigger("1.T.first")
    assert refused(lambda: client.views_push(trigger_id=nothing_open, view=MODAL))["error"] == (
        "not_found"
    )
    root = open_modal(box)
    second = client.views_push(trigger_id=box.workspace.issue_trigger("1.T.2"), view=MODAL)["view"]
    third = client.views_push(trigger_id=box.workspace.issue_trigger("1.T.3"), view=MODAL)["view"]

    assert (second["root_view_id"], second["previous_view_id"]) == (root["id"], root["id"])
    assert (third["root_view_id"], third["previous_view_id"]) == (root["id"], second["id"])
    assert box.workspace.snapshot()["modal"]["id"] == third["id"]
    assert box.workspace.snapshot()["modal_depth"] == 3
    fourth = box.workspace.issue_trigger("1.T.4")
    assert refused(lambda: client.views_push(trigger_id=fourth, view=MODAL))["error"] == (
        "push_limit_reached"
    )
    used = refused(lambda: client.views_push(trigger_id="1.T.3", view=MODAL))
    assert used["error"] == "expired_trigger_id"
    box.workspace.close_view(third["id"])  # Back: the view below shows again
    assert box.workspace.snapshot()["modal"]["id"] == second["id"]


def test_an_external_id_is_unique_among_shown_views(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    open_modal(box, {**MODAL, "external_id": "taken"})
    taken = {**HOME, "external_id": "taken"}
    answer = refused(lambda: box.client().views_publish(user_id=USER_ID, view=taken))
    assert answer["error"] == "duplicate_external_id"
