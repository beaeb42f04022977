"""What the administrator's mail page reads: the e-mail that has not gone out, failed first."""

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from clinic.extensions import db
from clinic.notifications.models import OutboxMessage, OutboxStatus

PAGE_SIZE = 50


@dataclass(frozen=True)
class MailPage:
    rows: list[OutboxMessage]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]  # status -> number of messages, every status listed

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def unsent_mail(page: int = 1, per_page: int = PAGE_SIZE) -> MailPage:
    """One page of failed and pending e-mail (failed first, then the oldest waiting), and the counts of every
    status: two queries whatever the page holds."""
    counts = {status.value: 0 for status in OutboxStatus}
    counts.update({str(status): number for status, number in db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )})
    total = counts[OutboxStatus.FAILED] + counts[OutboxStatus.PENDING]
    page = min(max(page, 1), max(1, math.ceil(total / per_page)))
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.PENDING]))
        .order_by(case((OutboxMessage.status == OutboxStatus.FAILED, 0), else_=1), OutboxMessage.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return MailPage(rows=list(rows), total=total, page=page, per_page=per_page, counts=counts)


def is_being_sent(message: OutboxMessage, now: datetime) -> bool:
    return message.claimed_until is not None and message.claimed_until > now
