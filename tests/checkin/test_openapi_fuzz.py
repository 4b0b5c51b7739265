"""Schemathesis reads /api/v1/openapi.json and tries the API against it, over HTTP.

Every operation gets the description's examples, its boundary and negative cases, a
bounded fuzz and stateful sequences, all from a fixed seed, sent with a door's scanner
token. The API must never answer 5xx, and every answer must be one the description lists,
with the content type, headers and body it documents; a request the description allows is
accepted, one it forbids is refused (4xx), and a method it does not list is answered 405
with an Allow header.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from werkzeug.serving import make_server

MAX_EXAMPLES = 100  # per operation and phase: well under a minute on a busy 2-core machine


@pytest.fixture
def app_config():
    """Any host name: the API is asked for at 127.0.0.1:<port>."""
    return {"SERVER_NAME": None}


@pytest.fixture
def served(app) -> Iterator[str]:
    """The app on 127.0.0.1 with a free port, as gunicorn would serve it; its base URL."""
    # Over a socket rather than in process: real requests, and Schemathesis's in-process
    # transport does not take every setting its fuzzing phase passes.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_api_answers_as_its_description_says(served, door):
    config = SchemathesisConfig.from_dict(
        {
            "seed": 20270313,
            "headers": {"Authorization": f"Bearer {door.token}"},
            "generation": {"deterministic": True, "max-examples": MAX_EXAMPLES},
            "checks": {
                # The description cannot say which doors a conference has, which times are
                # believable today (both 422), or which nonces this token has used with
                # another scan (409): a well-formed request may get those answers too.
                "positive_data_acceptance": {"expected-statuses": [200, 401, 403, 404, 409, 422]},
            },
        }
    )
    schema = schemathesis.openapi.from_url(f"{served}/api/v1/openapi.json", config=config)
    problems: list[str] = []
    tested: set[str] = set()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            tested.add(event.recorder.label)
            for checks in event.recorder.checks.values():
                problems += [
                    f"{event.recorder.label}: {check.name}: {check.failure_info.failure.title}\n"
                    f"{check.failure_info.failure.message}\n{check.failure_info.code_sample}"
                    for check in checks
                    if check.failure_info is not None
                ]
        elif isinstance(event, events.NonFatalError | events.FatalError):
            problems.append(repr(event))
    assert not problems, "\n\n".join(problems)
    assert {"POST /scans", "GET /conferences/{conference_id}/roster"} <= tested
