"""The read side: what the bot, the digest and the CLI show, from the stored scores only."""

from clv.insights.customers import (
    CustomerView,
    NotScoredYetError,
    UnknownCustomerError,
    customer_view,
    find_customer,
)
from clv.insights.groups import (
    GroupList,
    GroupSummary,
    UnknownGroupError,
    all_groups,
    group_summary,
)
from clv.insights.lists import (
    MAX_LIST,
    RankedCustomer,
    RankedList,
    dormant_customers,
    overdue_customers,
    top_customers,
)
from clv.insights.model import model_status
from clv.insights.runs import NoScoresError, RunRef, current_ref, current_run, weekly_runs
from clv.insights.trends import MoverReport, WeekTrend, movers, stored_weeks, weekly_trend

__all__ = [
    "MAX_LIST",
    "CustomerView",
    "GroupList",
    "GroupSummary",
    "MoverReport",
    "NoScoresError",
    "NotScoredYetError",
    "RankedCustomer",
    "RankedList",
    "RunRef",
    "UnknownCustomerError",
    "UnknownGroupError",
    "WeekTrend",
    "all_groups",
    "current_ref",
    "current_run",
    "customer_view",
    "dormant_customers",
    "find_customer",
    "group_summary",
    "model_status",
    "movers",
    "overdue_customers",
    "stored_weeks",
    "top_customers",
    "weekly_runs",
    "weekly_trend",
]
