"""The outreach audit rows and the customer's cooldown claim, as SQL.

The claim is one row per customer in `outreach_contacts`. Taking it is a single
`INSERT ... ON CONFLICT (customer_id) DO UPDATE ... WHERE claimed_at <= now - cooldown
RETURNING`: the database serialises concurrent claims on the primary key, and a row comes
back only to the one statement that inserted or took over the claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from clv.store.engine import upsert_insert
from clv.store.tables import outreach_contacts_table as contacts
from clv.store.tables import outreach_table as outreach

MAX_REASON = 500


def insert_audit(
    connection: Connection,
    *,
    customer_id: int,
    requested_by: str,
    requested_at: datetime,
    source: str | None,
    backend: str,
    status: str,
    reason: str | None = None,
) -> int:
    """Insert one audit row and return its id; a `refused` row is finished at once."""
    outreach_id: int = connection.execute(
        insert(outreach)
        .values(
            customer_id=customer_id,
            requested_by=requested_by,
            requested_at=requested_at,
            source=source,
            backend=backend,
            status=status,
            reason=reason[:MAX_REASON] if reason else None,
            finished_at=requested_at if status == "refused" else None,
        )
        .returning(outreach.c.id)
    ).scalar_one()
    return outreach_id


def finish_audit(
    connection: Connection,
    outreach_id: int,
    *,
    status: str,
    at: datetime,
    reason: str | None = None,
    message_id: str | None = None,
) -> None:
    connection.execute(
        update(outreach)
        .where(outreach.c.id == outreach_id)
        .values(
            status=status,
            finished_at=at,
            reason=reason[:MAX_REASON] if reason else None,
            message_id=message_id[:255] if message_id else None,
        )
    )


def win_claim(
    connection: Connection,
    *,
    customer_id: int,
    outreach_id: int,
    now: datetime,
    cooldown_days: int,
) -> bool:
    """Take the customer's claim for `outreach_id` unless one younger than the cooldown is held."""
    statement = upsert_insert(connection, contacts).values(
        customer_id=customer_id, outreach_id=outreach_id, claimed_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[contacts.c.customer_id],
        set_={
            "outreach_id": statement.excluded.outreach_id,
            "claimed_at": statement.excluded.claimed_at,
        },
        where=contacts.c.claimed_at <= now - timedelta(days=cooldown_days),
    ).returning(contacts.c.outreach_id)
    return connection.execute(statement).first() is not None


def release_claim(connection: Connection, *, customer_id: int, outreach_id: int) -> None:
    """Give a failed outreach's claim back to the customer's previous contact, or drop it.

    The previous contact is read from the audit rather than remembered at claim time: another
    failure may have handed the claim back in between. A `claimed` row (a send that crashed,
    or may have gone out) counts as a contact: at most once.
    """
    previous = connection.execute(
        select(outreach.c.id, outreach.c.requested_at)
        .where(
            outreach.c.customer_id == customer_id,
            outreach.c.id != outreach_id,
            outreach.c.status.in_(("sent", "claimed")),
        )
        .order_by(outreach.c.requested_at.desc(), outreach.c.id.desc())
        .limit(1)
    ).first()
    held = (contacts.c.customer_id == customer_id) & (contacts.c.outreach_id == outreach_id)
    if previous is None:
        connection.execute(delete(contacts).where(held))
    else:
        connection.execute(
            update(contacts)
            .where(held)
            .values(outreach_id=previous.id, claimed_at=previous.requested_at)
        )
