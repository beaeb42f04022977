"""The app as gunicorn serves it, plus one route that only the booking bench registers: POST /bench/baseline,
signed in and CSRF-checked like a booking, that inserts one row (an audit event) and redirects. It is the floor
a booking is measured against: the same session, CSRF, transaction and commit, without the booking's work."""

from flask import Blueprint, abort, redirect
from werkzeug.wrappers import Response

from clinic import create_app
from clinic.audit.services import ObjectRef, record_event
from clinic.extensions import db
from clinic.web import acting_user, request_now

bench = Blueprint("bench", __name__)


@bench.post("/bench/baseline")
def baseline() -> Response:
    user = acting_user()
    if not user.is_authenticated:
        abort(403)
    record_event(user, "bench.baseline", ObjectRef("bench"), request_now())
    db.session.commit()
    return redirect("/bench/done")


app = create_app()
app.register_blueprint(bench)
