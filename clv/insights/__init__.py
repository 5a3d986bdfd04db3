"""The read side: what the bot, the digest and the CLI show, from the stored scores only."""

from clv.insights.customers import CustomerView, UnknownCustomerError, customer_view, find_customer
from clv.insights.groups import GroupSummary, UnknownGroupError, all_groups, group_summary
from clv.insights.lists import RankedCustomer, dormant_customers, top_customers
from clv.insights.model import model_status
from clv.insights.runs import NoScoresError, current_run, weekly_runs
from clv.insights.trends import movers, stored_weeks, weekly_trend

__all__ = [
    "CustomerView",
    "GroupSummary",
    "NoScoresError",
    "RankedCustomer",
    "UnknownCustomerError",
    "UnknownGroupError",
    "all_groups",
    "current_run",
    "customer_view",
    "dormant_customers",
    "find_customer",
    "group_summary",
    "model_status",
    "movers",
    "stored_weeks",
    "top_customers",
    "weekly_runs",
    "weekly_trend",
]
