"""Who gets what from every route: each rule of the URL map, for nine people, against one fixed scenario.

A new route fails `test_every_rule_and_method_has_an_expectation` until a row of EXPECTED says what each person
gets from it. Every request goes through the test client with the person's own session cookie, in its own app
context (so with a session of its own, as in production); answers to people outside a department are searched for
marker strings planted in that department's data, and a refused request must leave every row as it was.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from tests.scenario import D_MARKERS, E_MARKERS, NOTE_MARKER, PEOPLE, Answer, World, open_world, send
from tests.snapshots import changes, restore

# What each person gets, case by case. Columns are the people of the scenario:
#   anon         nobody signed in
#   officer      an officer of the department the scenario is about ("D")
#   other_off    an officer of a sister department of the same ministry ("E")
#   coord        the coordinator of D's ministry
#   other_coord  a coordinator of another ministry
#   advisor      the advisor whose slots the scenario's bookings are on
#   other_adv    another advisor
#   admin        an administrator
#   deact        an officer of D who signed in, then was deactivated; the old session cookie is used
# Codes: an HTTP status; `login` is a redirect to the sign-in page (with ?next=).
EXPECTED = """
case              anon   officer other_off coord  other_coord advisor other_adv admin  deact
home              200    200     200       200    200         200     200       200    200
health            200    200     200       200    200         200     200       200    200
ready             200    200     200       200    200         200     200       200    200
static            200    200     200       200    200         200     200       200    200
login             200    302     302       302    302         302     302       302    200
login_post        422    302     302       302    302         302     302       302    422
logout            login  302     302       302    302         302     302       302    login
language          302    302     302       302    302         302     302       302    302
choose_topic      login  200     200       200    200         403     403       403    login
open_slots        login  200     200       200    200         403     403       403    login
book              login  200     200       200    200         403     403       403    login
book_post         login  422     422       422    422         403     403       403    login
waitlist_join     login  422     422       422    422         403     403       403    login
waitlist          login  200     200       200    200         403     403       403    login
waitlist_claim    login  404     404       404    404         403     403       403    login
waitlist_leave    login  404     404       404    404         403     403       403    login
detail            login  200     404       200    404         200     200       200    login
detail_pending    login  200     404       200    404         200     200       200    login
document          login  200     404       200    404         200     200       200    login
cancel            login  422     404       422    404         422     403       422    login
reschedule        login  200     404       200    404         200     403       200    login
reschedule_post   login  422     404       422    404         422     403       422    login
confirm           login  403     404       403    404         302     403       403    login
decline           login  403     404       403    404         422     403       403    login
note              login  403     404       403    404         302     302       302    login
record            login  403     404       403    404         200     403       403    login
record_post       login  403     404       403    404         422     403       403    login
acknowledge       login  302     404       302    404         403     403       403    login
action_item       login  302     404       302    404         302     302       403    login
item_evidence     login  302     404       302    404         302     302       403    login
open_steps        login  403     403       403    403         200     200       200    login
feedback_post     login  302     404       302    404         403     403       403    login
feedback_list     login  403     403       403    403         403     403       200    login
revision_page     login  200     404       200    404         200     200       200    login
follow_up_invite  login  403     404       403    404         302     403       403    login
case_file         login  200     404       200    404         200     200       200    login
case_file_pdf     login  200     404       200    404         200     200       200    login
record_pdf        login  200     404       200    404         200     200       200    login
case_file_own     login  200     200       200    200         302     302       302    login
cases             login  403     403       403    403         200     200       200    login
advisor_sessions  login  403     403       403    403         200     200       403    login
advisor_week      login  403     403       403    403         200     200       403    login
advisor_day       login  403     403       403    403         200     200       403    login
advisor_month     login  403     403       403    403         200     200       403    login
new_slots         login  403     403       403    403         200     200       403    login
new_slots_post    login  403     403       403    403         422     422       403    login
report            login  403     403       403    403         403     403       200    login
report_csv        login  403     403       403    403         403     403       200    login
report_xlsx       login  403     403       403    403         403     403       200    login
report_pdf        login  403     403       403    403         403     403       200    login
password          login  200     200       200    200         200     200       200    login
password_post     login  422     422       422    422         422     422       422    login
notify_prefs      login  200     200       200    200         200     200       200    login
notify_prefs_post login  422     422       422    422         422     422       422    login
forgot            200    200     200       200    200         200     200       200    200
forgot_post       422    422     422       422    422         422     422       422    422
reset             400    400     400       400    400         400     400       400    400
reset_post        400    400     400       400    400         400     400       400    400
invitation        400    400     400       400    400         400     400       400    400
invitation_post   400    400     400       400    400         400     400       400    400
users             login  403     403       403    403         403     403       200    login
invite            login  403     403       403    403         403     403       200    login
invite_post       login  403     403       403    403         403     403       422    login
user              login  403     403       403    403         403     403       200    login
user_scope        login  403     403       403    403         403     403       422    login
user_deactivate   login  403     403       403    403         403     403       422    login
user_reactivate   login  403     403       403    403         403     403       409    login
user_invitation   login  403     403       403    403         403     403       409    login
user_expertise    login  403     403       403    403         403     403       422    login
availability      login  403     403       403    403         200     200       403    login
availability_post login  403     403       403    403         422     422       403    login
add_date          login  403     403       403    403         422     422       403    login
remove_date       login  403     403       403    403         404     404       403    login
leave             login  403     403       403    403         200     200       403    login
leave_post        login  403     403       403    403         422     422       403    login
remove_leave      login  403     403       403    403         404     404       403    login
advisors          login  403     403       403    403         403     403       200    login
all_advisors_day  login  403     403       403    403         403     403       200    login
advisor_availability login 403   403       403    403         403     403       200    login
advisor_availability_post login 403 403    403    403         403     403       422    login
advisor_add_date  login  403     403       403    403         403     403       422    login
advisor_remove_date login 403    403       403    403         403     403       404    login
advisor_leave     login  403     403       403    403         403     403       200    login
advisor_leave_post login 403     403       403    403         403     403       422    login
advisor_remove_leave login 403   403       403    403         403     403       404    login
mail              login  403     403       403    403         403     403       200    login
mail_retry        login  403     403       403    403         403     403       404    login
booking_ics       login  200     404       200    404         200     200       200    login
calendar_feed     404    404     404       404    404         404     404       404    404
feed_settings     login  403     403       403    403         200     200       403    login
feed_renew        login  403     403       403    403         200     200       403    login
feed_revoke       login  403     403       403    403         302     302       403    login
audit_log         login  403     403       403    403         403     403       200    login
ministries        login  403     403       403    403         403     403       200    login
ministry_new      login  403     403       403    403         403     403       200    login
ministry_new_post login  403     403       403    403         403     403       422    login
ministry          login  403     403       403    403         403     403       200    login
ministry_post     login  403     403       403    403         403     403       422    login
departments       login  403     403       403    403         403     403       200    login
department_new    login  403     403       403    403         403     403       200    login
department_new_post login  403     403       403    403         403     403       422    login
department        login  403     403       403    403         403     403       200    login
department_post   login  403     403       403    403         403     403       422    login
department_merge  login  403     403       403    403         403     403       200    login
department_merge_post login  403     403       403    403         403     403       422    login
topics            login  403     403       403    403         403     403       200    login
topic_new         login  403     403       403    403         403     403       200    login
topic_new_post    login  403     403       403    403         403     403       422    login
topic             login  403     403       403    403         403     403       200    login
dashboard         login  403     403       403    403         200     200       200    login
search            login  200     200       200    200         200     200       200    login
topic_post        login  403     403       403    403         403     403       422    login
api_tokens        login  200     200       200    200         200     200       200    login
api_tokens_post   login  422     422       422    422         422     422       422    login
service_tokens    login  403     403       403    403         403     403       200    login
service_tokens_post login 403    403       403    403         403     403       422    login
token_revoke      login  404     404       404    404         404     404       404    login
privacy_notice    200    200     200       200    200         200     200       200    200
privacy_ack       login  422     422       422    422         422     422       422    login
my_data           login  200     200       200    200         200     200       200    login
my_data_json      login  200     200       200    200         200     200       200    login
sso_start         404    404     404       404    404         404     404       404    404
sso_callback      404    404     404       404    404         404     404       404    404
clinic_days       login  403     403       403    403         403     403       200    login
clinic_day_new    login  403     403       403    403         403     403       200    login
clinic_day_new_post login 403    403       403    403         403     403       422    login
clinic_day        login  403     403       403    403         403     403       404    login
clinic_day_post   login  403     403       403    403         403     403       404    login
clinic_day_cancel login  403     403       403    403         403     403       404    login
holidays          login  403     403       403    403         403     403       200    login
holidays_post     login  403     403       403    403         403     403       422    login
any_advisor       login  302     302       302    302         403     403       403    login
"""

COLUMNS = {
    "anon": "anonymous", "officer": "officer", "other_off": "other_officer", "coord": "coordinator",
    "other_coord": "other_coordinator", "advisor": "advisor", "other_adv": "other_advisor", "admin": "admin",
    "deact": "deactivated",
}
assert tuple(COLUMNS.values()) == PEOPLE


@dataclass(frozen=True)
class Case:
    method: str
    endpoint: str
    url: str  # formatted with the scenario's ids
    data: dict = field(default_factory=dict)


# The requests, with data that a person allowed through is refused for (422, or a refusal flashed on a redirect),
# so that nothing changes; the few that do change something are listed in WRITES and undone after.
CASES = {
    "home": Case("GET", "main.home", "/"),
    "health": Case("GET", "main.health", "/healthz"),
    "ready": Case("GET", "main.ready", "/readyz"),
    "static": Case("GET", "static", "/static/css/app.css"),
    "login": Case("GET", "accounts.login", "/login"),
    "login_post": Case("POST", "accounts.login", "/login", {"email": "", "password": ""}),
    "logout": Case("POST", "accounts.logout", "/logout"),
    "language": Case("GET", "accounts.set_language", "/language/en?next=/casefile"),
    "choose_topic": Case("GET", "bookings.choose_topic", "/book"),
    "open_slots": Case("GET", "bookings.open_slots", "/book/{topic}"),
    "book": Case("GET", "bookings.book", "/book/{topic}/slots/{slot}"),
    "book_post": Case("POST", "bookings.book", "/book/{topic}/slots/{slot}", {"request_details": ""}),
    "waitlist_join": Case("POST", "bookings.join", "/book/{topic}/slots/{slot}/waitlist", {"request_details": ""}),
    "waitlist": Case("GET", "bookings.waitlist", "/waitlist"),
    "waitlist_claim": Case("POST", "bookings.claim", "/waitlist/999999/claim"),
    "waitlist_leave": Case("POST", "bookings.leave", "/waitlist/999999/leave"),
    "detail": Case("GET", "bookings.detail", "/bookings/{recorded}"),
    "detail_pending": Case("GET", "bookings.detail", "/bookings/{pending}"),
    "document": Case("GET", "bookings.document", "/documents/{document}"),
    "cancel": Case("POST", "bookings.cancel", "/bookings/{pending}/cancel", {"cancel-reason": ""}),
    "reschedule": Case("GET", "bookings.reschedule", "/bookings/{pending}/reschedule"),
    "reschedule_post": Case("POST", "bookings.reschedule", "/bookings/{pending}/reschedule", {"slot": ""}),
    "confirm": Case("POST", "bookings.confirm", "/bookings/{pending}/confirm"),
    "decline": Case("POST", "bookings.decline", "/bookings/{pending}/decline", {"decline-reason": ""}),
    "note": Case("POST", "records.add_note", "/bookings/{recorded}/notes", {"body": ""}),
    "record": Case("GET", "records.edit", "/bookings/{recorded}/record"),
    "record_post": Case("POST", "records.edit", "/bookings/{recorded}/record", {"guidance": "ก" * 10001}),
    "acknowledge": Case("POST", "records.acknowledge_revision", "/revisions/{revision}/acknowledge"),
    "action_item": Case("POST", "records.update_item", "/action-items/{item}", {"status": ""}),
    "item_evidence": Case("POST", "records.add_item_evidence", "/action-items/{item}/evidence", {}),
    "open_steps": Case("GET", "records.open_steps", "/next-steps"),
    "feedback_post": Case("POST", "records.feedback", "/records/{record}/feedback", {"rating": "9"}),
    "feedback_list": Case("GET", "records.all_feedback", "/admin/feedback"),
    "revision_page": Case("GET", "records.revision", "/revisions/{revision}"),
    "follow_up_invite": Case("POST", "records.invite_to_follow_up", "/bookings/{recorded}/follow-up-invitation"),
    "case_file": Case("GET", "bookings.case_file", "/casefile?department={department}"),
    "case_file_pdf": Case("GET", "records.case_file_pdf", "/casefile.pdf?department={department}"),
    "record_pdf": Case("GET", "records.record_pdf", "/bookings/{recorded}/record.pdf"),
    "case_file_own": Case("GET", "bookings.case_file", "/casefile"),
    "cases": Case("GET", "records.cases", "/cases"),
    "advisor_sessions": Case("GET", "scheduling.sessions", "/advisor/sessions"),
    "advisor_week": Case("GET", "scheduling.week", "/advisor/week?start=2026-11-30"),
    "advisor_day": Case("GET", "scheduling.day", "/advisor/day?date=2026-12-02"),
    "advisor_month": Case("GET", "scheduling.month", "/advisor/month?month=2026-12-01"),
    "new_slots": Case("GET", "scheduling.new_slots", "/advisor/slots/new"),
    "new_slots_post": Case("POST", "scheduling.new_slots", "/advisor/slots/new"),
    "report": Case("GET", "reports.sessions", "/admin/reports/sessions"),
    "report_csv": Case("GET", "reports.sessions_csv", "/admin/reports/sessions.csv"),
    "report_xlsx": Case("GET", "reports.sessions_xlsx", "/admin/reports/sessions.xlsx"),
    "report_pdf": Case("GET", "reports.sessions_pdf", "/admin/reports/sessions.pdf"),
    # Accounts: one's own password, and the signed links (a forged token is refused to everyone).
    "password": Case("GET", "accounts.change_password", "/account/password"),
    "password_post": Case("POST", "accounts.change_password", "/account/password", {"current_password": ""}),
    "notify_prefs": Case("GET", "notification_preferences.preferences", "/account/notifications"),
    "notify_prefs_post": Case("POST", "notification_preferences.preferences", "/account/notifications",
                              {"kinds": "no-such-kind"}),
    "forgot": Case("GET", "accounts.forgot_password", "/account/password/forgot"),
    "forgot_post": Case("POST", "accounts.forgot_password", "/account/password/forgot", {"email": ""}),
    "reset": Case("GET", "accounts.reset_password", "/account/password/reset/forged.token"),
    "reset_post": Case("POST", "accounts.reset_password", "/account/password/reset/forged.token", {"password": ""}),
    "invitation": Case("GET", "accounts.accept_invitation", "/account/invitation/forged.token"),
    "invitation_post": Case("POST", "accounts.accept_invitation", "/account/invitation/forged.token",
                            {"password": ""}),
    # Administrators manage users; the actions are refused for their data (an empty form, or oneself).
    "users": Case("GET", "users.index", "/admin/users"),
    "invite": Case("GET", "users.invite", "/admin/users/invite"),
    "invite_post": Case("POST", "users.invite", "/admin/users/invite", {"email": ""}),
    "user": Case("GET", "users.detail", "/admin/users/{user}"),
    "user_scope": Case("POST", "users.change_scope", "/admin/users/{user}/scope", {"role": ""}),
    "user_deactivate": Case("POST", "users.deactivate", "/admin/users/{admin}/deactivate"),
    "user_reactivate": Case("POST", "users.reactivate", "/admin/users/{user}/reactivate"),
    "user_invitation": Case("POST", "users.resend_invitation", "/admin/users/{user}/invitation"),
    "user_expertise": Case("POST", "users.expertise", "/admin/users/{user}/expertise", {"topics": "x"}),
    # Availability and leave: an advisor's own, or any advisor's for an administrator; refused data, or no such row.
    "availability": Case("GET", "scheduling.availability", "/advisor/availability"),
    "availability_post": Case("POST", "scheduling.availability", "/advisor/availability", {"session_minutes": "0"}),
    "add_date": Case("POST", "scheduling.add_date", "/advisor/availability/dates", {"day": ""}),
    "remove_date": Case("POST", "scheduling.remove_date", "/advisor/availability/dates/999999/delete"),
    "leave": Case("GET", "scheduling.leave", "/advisor/leave"),
    "leave_post": Case("POST", "scheduling.leave", "/advisor/leave", {"first_day": ""}),
    "remove_leave": Case("POST", "scheduling.remove_leave", "/advisor/leave/999999/delete"),
    "advisors": Case("GET", "scheduling_admin.advisors", "/admin/advisors"),
    "all_advisors_day": Case("GET", "scheduling_admin.all_advisors_day", "/admin/advisors/calendar?date=2026-12-02"),
    "advisor_availability": Case("GET", "scheduling_admin.availability", "/admin/advisors/{advisor}/availability"),
    "advisor_availability_post": Case("POST", "scheduling_admin.availability",
                                      "/admin/advisors/{advisor}/availability", {"session_minutes": "0"}),
    "advisor_add_date": Case("POST", "scheduling_admin.add_date", "/admin/advisors/{advisor}/availability/dates",
                             {"day": ""}),
    "advisor_remove_date": Case("POST", "scheduling_admin.remove_date",
                                "/admin/advisors/{advisor}/availability/dates/999999/delete"),
    "advisor_leave": Case("GET", "scheduling_admin.leave", "/admin/advisors/{advisor}/leave"),
    "advisor_leave_post": Case("POST", "scheduling_admin.leave", "/admin/advisors/{advisor}/leave",
                               {"first_day": ""}),
    "advisor_remove_leave": Case("POST", "scheduling_admin.remove_leave",
                                 "/admin/advisors/{advisor}/leave/999999/delete"),
    # Mail waiting or failed: administrators only.
    "mail": Case("GET", "notifications.outbox", "/admin/mail"),
    "mail_retry": Case("POST", "notifications.retry", "/admin/mail/999999/retry"),
    # Calendars: a session's .ics for whoever may view the booking; a feed's forged token is 404 to everyone; an
    # advisor's own feed page (renewing makes a feed, undone after; revoking one that does not exist changes nothing).
    "booking_ics": Case("GET", "calendar.booking_ics", "/bookings/{pending}/calendar.ics"),
    "calendar_feed": Case("GET", "calendar.feed", "/calendar/forged-token-aaaaaaaaaaaaaaaaaaaaaaaa.ics"),
    "feed_settings": Case("GET", "calendar.feed_settings", "/advisor/calendar-feed"),
    "feed_renew": Case("POST", "calendar.renew", "/advisor/calendar-feed/renew"),
    "feed_revoke": Case("POST", "calendar.revoke", "/advisor/calendar-feed/revoke"),
    # The audit log: administrators only.
    "audit_log": Case("GET", "audit.index", "/admin/audit"),
    # The dashboard: OPDC staff (advisors read it; nothing on it writes).
    "dashboard": Case("GET", "dashboard.index", "/dashboard"),
    # Search: whoever opens case files, within what they may read (the answers are searched for the markers).
    "search": Case("GET", "records.search", "/search?q=ขอคำปรึกษา"),
    # Ministries, departments and topics: administrators only; the forms are refused for their empty data.
    "ministries": Case("GET", "organisations.ministries", "/admin/ministries"),
    "ministry_new": Case("GET", "organisations.new_ministry", "/admin/ministries/new"),
    "ministry_new_post": Case("POST", "organisations.new_ministry", "/admin/ministries/new", {"code": ""}),
    "ministry": Case("GET", "organisations.ministry", "/admin/ministries/{ministry}"),
    "ministry_post": Case("POST", "organisations.ministry", "/admin/ministries/{ministry}", {"name_th": ""}),
    "departments": Case("GET", "organisations.departments", "/admin/departments"),
    "department_new": Case("GET", "organisations.new_department", "/admin/departments/new"),
    "department_new_post": Case("POST", "organisations.new_department", "/admin/departments/new", {"code": ""}),
    "department": Case("GET", "organisations.department", "/admin/departments/{department}"),
    "department_post": Case("POST", "organisations.department", "/admin/departments/{department}", {"name_th": ""}),
    "department_merge": Case("GET", "organisations.merge", "/admin/departments/{department}/merge"),
    "department_merge_post": Case("POST", "organisations.merge", "/admin/departments/{department}/merge",
                                  {"survivor": ""}),
    "topics": Case("GET", "organisations.topics", "/admin/topics"),
    "topic_new": Case("GET", "organisations.new_topic", "/admin/topics/new"),
    "topic_new_post": Case("POST", "organisations.new_topic", "/admin/topics/new", {"code": ""}),
    "topic": Case("GET", "organisations.topic", "/admin/topics/{topic}"),
    "topic_post": Case("POST", "organisations.topic", "/admin/topics/{topic}", {"name_th": ""}),
    # API tokens: one's own, and administrators' service tokens (refused data; a token that does not exist).
    # The API itself (/api/...) takes bearer tokens, not cookies: tests/test_api_matrix.py covers it.
    "api_tokens": Case("GET", "api_tokens.own", "/account/tokens"),
    "api_tokens_post": Case("POST", "api_tokens.own", "/account/tokens", {"name": ""}),
    "service_tokens": Case("GET", "api_tokens.service", "/admin/api-tokens"),
    "service_tokens_post": Case("POST", "api_tokens.service", "/admin/api-tokens", {"name": ""}),
    "token_revoke": Case("POST", "api_tokens.revoke", "/api-tokens/999999/revoke"),
    # Personal data: the privacy notice for everyone; acknowledging it (refused: no version) and one's own data
    # (the download is audited) for whoever is signed in.
    "privacy_notice": Case("GET", "privacy.notice", "/privacy"),
    "privacy_ack": Case("POST", "privacy.acknowledge", "/privacy/acknowledge", {"version": ""}),
    "my_data": Case("GET", "privacy.my_data", "/account/data"),
    "my_data_json": Case("GET", "privacy.my_data_json", "/account/data.json"),
    # Single sign-on is not set up in the scenario: its routes are not there (tests/test_single_sign_on.py runs them
    # against a real provider).
    "sso_start": Case("GET", "accounts.sso_start", "/login/sso"),
    "sso_callback": Case("GET", "accounts.sso_callback", "/login/sso/callback?code=x&state=y"),
    # Clinic days held at a ministry: administrators only; refused data, or no such clinic day.
    "clinic_days": Case("GET", "clinic_days.index", "/admin/clinic-days"),
    "clinic_day_new": Case("GET", "clinic_days.new", "/admin/clinic-days/new"),
    "clinic_day_new_post": Case("POST", "clinic_days.new", "/admin/clinic-days/new", {"venue": ""}),
    "clinic_day": Case("GET", "clinic_days.edit", "/admin/clinic-days/999999"),
    "clinic_day_post": Case("POST", "clinic_days.edit", "/admin/clinic-days/999999", {"venue": ""}),
    "clinic_day_cancel": Case("POST", "clinic_days.cancel", "/admin/clinic-days/999999/cancel",
                              {"cancel-reason": "x"}),
    # Public holidays opened and extra days closed: administrators only; refused data.
    "holidays": Case("GET", "holidays.index", "/admin/holidays"),
    "holidays_post": Case("POST", "holidays.index", "/admin/holidays", {"day": ""}),
    # "Any advisor" at a time: departments only; it redirects to a booking form, or back with a message.
    "any_advisor": Case("GET", "bookings.any_advisor", "/book/{topic}/any?at=2026-12-01T02%3A00%3A00%2B00%3A00"),
}


def is_api(rule) -> bool:
    return rule.rule.startswith("/api/")

# The requests that are accepted and change rows: undone after each, so every request meets the same scenario.
# Signing out ends every session of the user (their session version), the language switch keeps the language on
# the user: both are undone too, so the person's cookie stays good for the next request.
# Reading leaves an audit event too where it is logged: OPDC staff opening a department's booking or case file, and
# anyone downloading a document. (Every 403 leaves exactly one audit event and nothing else: checked on its own.)
SIGNED_IN = set(PEOPLE) - {"anonymous", "deactivated"}
OPDC = {"advisor", "other_advisor", "admin"}
WRITES = {
    ("confirm", "advisor"), ("follow_up_invite", "advisor"), ("feed_renew", "advisor"), ("feed_renew", "other_advisor"), ("acknowledge", "officer"), ("acknowledge", "coordinator"), ("report_csv", "admin"),
    ("report_xlsx", "admin"), ("report_pdf", "admin"),
    *(("logout", person) for person in SIGNED_IN), *(("language", person) for person in SIGNED_IN),
    *((case, person) for case in ("detail", "detail_pending", "case_file") for person in OPDC),
    *((case, person) for case in ("document", "case_file_pdf", "record_pdf")
      for person in ("officer", "coordinator", *OPDC)),
    *((case, person) for case in ("my_data", "my_data_json") for person in SIGNED_IN),
}


def parse_table(table: str) -> dict[str, dict[str, str]]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    people = [COLUMNS[column] for column in header[1:]]
    return {row[0]: dict(zip(people, row[1:], strict=True)) for row in rows}


EXPECTATIONS = parse_table(EXPECTED)

# The marker strings planted in the scenario (tests/scenario.py) that each person must never be shown.
ALL_D = {**D_MARKERS, "internal note": NOTE_MARKER}
FORBIDDEN = {
    "anonymous": {**ALL_D, **{f"E {k}": v for k, v in E_MARKERS.items()}},
    "officer": {"internal note": NOTE_MARKER, **{f"E {k}": v for k, v in E_MARKERS.items()}},
    "other_officer": ALL_D,
    "coordinator": {"internal note": NOTE_MARKER},
    "other_coordinator": {**ALL_D, **{f"E {k}": v for k, v in E_MARKERS.items()}},
    "advisor": {},
    "other_advisor": {},
    "admin": {},
    "deactivated": {**ALL_D, **{f"E {k}": v for k, v in E_MARKERS.items()}},
}


@pytest.fixture(scope="module")
def world(schema, tmp_path_factory):
    """The scenario, built and committed once for the module; the tables are emptied when the module ends."""
    # Every person asks for a reset from the same address: the reset limit must not turn the matrix into a 429.
    with open_world(schema, tmp_path_factory.mktemp("matrix"), PASSWORD_RESET_RATE_LIMIT="1000 per hour") as world:
        yield world


def request(world: World, person: str, case: Case) -> Answer:
    return send(world, person, case.method, case.url.format(**world.ids), data=case.data)


def check(answer: Answer, expected: str, what: str) -> None:
    if expected == "login":
        target = urlsplit(answer.location)
        assert (answer.status, target.path) == (302, "/login") and "next=" in target.query, (what, answer)
    else:
        assert answer.status == int(expected), (what, answer.status, answer.location)
        if answer.status == 302:
            assert "next=" not in answer.location, (what, "sent to sign in", answer.location)


def test_every_rule_and_method_has_an_expectation(world):
    """A new route, or a new method on a route, fails here until EXPECTED says who gets what from it."""
    assert set(EXPECTATIONS) == set(CASES)
    covered = {(case.endpoint, case.method) for case in CASES.values()}
    adapter = world.app.url_map.bind("localhost")
    for rule in world.app.url_map.iter_rules():
        if is_api(rule):
            continue
        for method in {"GET", "POST"} & rule.methods:
            assert (rule.endpoint, method) in covered, f"no expectation for {method} {rule.rule} ({rule.endpoint})"
    for name, case in CASES.items():  # and each case's URL is the rule it claims to be
        path = urlsplit(case.url.format(**world.ids)).path
        endpoint, _args = adapter.match(path, method=case.method)
        assert endpoint == case.endpoint, name


@pytest.mark.parametrize("name", list(CASES))
def test_each_person_gets_what_their_role_and_scope_allow(world, name):
    case = CASES[name]
    url = case.url.format(**world.ids)
    for person in PEOPLE:
        what = f"{case.method} {url} as {person}"
        answer = request(world, person, case)
        check(answer, EXPECTATIONS[name][person], what)
        leaked = {label for label, marker in FORBIDDEN[person].items() if marker in answer.text}
        assert not leaked, (what, "shows", leaked)
        with world.app.app_context():
            changed = changes(world.baseline)
            if changed:
                restore(world.baseline)  # first, so that one failure does not spill into the next requests
            if answer.status == 403:  # a refusal changes nothing, and is itself recorded: one audit event
                assert len(changed) == 1 and changed[0].startswith("+audit_events("), (what, "wrote", changed)
            elif changed:
                assert (name, person) in WRITES, (what, "wrote", changed)


def test_methods_a_rule_does_not_allow_are_405_for_everyone(world):
    for rule in world.app.url_map.iter_rules():
        if is_api(rule):
            continue
        case = next(c for c in CASES.values() if c.endpoint == rule.endpoint)
        url = case.url.format(**world.ids)
        for method in {"GET", "POST"} - rule.methods:
            for person in PEOPLE:
                assert send(world, person, method, url).status == 405, (method, url, person)


def test_the_markers_are_on_the_pages_of_those_allowed_to_read_them(world):
    """The planted strings do reach the people allowed to read them, so their absence elsewhere means something."""
    ids = world.ids
    department_pages = "".join(
        send(world, person, "GET", url.format(**ids)).text
        for person in ("officer", "coordinator")
        for url in ("/bookings/{pending}", "/bookings/{recorded}", "/casefile?department={department}")
    )
    assert {label for label, marker in D_MARKERS.items() if marker not in department_pages} == set()
    assert NOTE_MARKER not in department_pages
    assert NOTE_MARKER in send(world, "advisor", "GET", f"/bookings/{ids['recorded']}").text
    assert NOTE_MARKER in send(world, "other_advisor", "GET", f"/bookings/{ids['recorded']}").text
    sister_page = "".join(send(world, "other_officer", "GET", url.format(**ids)).text
                          for url in ("/casefile", "/bookings/{sister}"))
    assert {label for label, marker in E_MARKERS.items() if marker not in sister_page} == set()
    download = send(world, "officer", "GET", f"/documents/{ids['document']}")
    assert download.status == 200 and D_MARKERS["document name"] in download.text


def test_a_deactivated_persons_old_session_is_signed_out(world):
    answer = send(world, "deactivated", "GET", f"/bookings/{world.ids['pending']}")
    check(answer, "login", "deactivated")
    assert "ZQ-" not in answer.text
