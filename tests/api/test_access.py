"""Who may do what: tokens verified, tenant-scoped roles, separation of duties.

Recorders record, validators decide on foreign requests, readers and auditors
read; reporting officers and platform administrators see no tenant's records.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth.dev_issuer import DemoUser, DevIssuer

from .conftest import CHANGE, CREATE, TENANTS, problem

if TYPE_CHECKING:
    from .conftest import Api

WWW_AUTHENTICATE = 'Bearer realm="entente"'
#: RFC 6750 §3.1: a token that came and was refused is named so in the challenge.
INVALID_TOKEN = 'Bearer realm="entente", error="invalid_token"'


def _refused_token(api: Api, response_token: str | None, challenge: str = INVALID_TOKEN) -> None:
    position = api.position()
    headers = {} if response_token is None else {"Authorization": response_token}

    response = api.client.post("/api/police/posts", json=CREATE["posts"], headers=headers)

    problem(response, 401, "authentication")
    assert response.headers["WWW-Authenticate"] == challenge
    assert api.position() == position


def test_no_token_is_a_401_with_www_authenticate(api: Api) -> None:
    _refused_token(api, None, WWW_AUTHENTICATE)
    read = api.client.get("/api/police/posts/0b5f2f8e-3c1d-4f7a-9a63-2f1e5d8c7b6a")
    assert problem(read, 401, "authentication")["detail"] == "a bearer token is required"
    assert read.headers["WWW-Authenticate"] == WWW_AUTHENTICATE


@pytest.mark.parametrize(
    ("authorization", "challenge"),
    [
        ("Bearer", WWW_AUTHENTICATE),  # no token came
        ("Bearer not.a.jwt", INVALID_TOKEN),
        ("Basic cG9saWNlOnBvbGljZQ==", WWW_AUTHENTICATE),
        ("Bearer eyJhbGciOi", INVALID_TOKEN),
    ],
)
def test_a_garbage_token_is_a_401(api: Api, authorization: str, challenge: str) -> None:
    _refused_token(api, authorization, challenge)


@pytest.mark.parametrize("good_first", [True, False], ids=["good-first", "good-last"])
def test_two_authorization_headers_are_refused_whichever_comes_first(
    api: Api, good_first: bool
) -> None:
    """Starlette reads the first: a proxy reading the last judged another identity."""
    good = api.auth("police-reader")["Authorization"]
    sent = [good, "Bearer x"] if good_first else ["Bearer x", good]

    response = api.client.get(
        "/api/police/missions", headers=[("Authorization", value) for value in sent]
    )

    assert "several" in problem(response, 401, "authentication")["detail"]
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="entente", error="invalid_request"'
    )


def test_an_expired_token_is_a_401(api: Api) -> None:
    expired = api.token("police-recorder", ttl_seconds=-120)
    position = api.position()

    response = api.client.post(
        "/api/police/posts", json=CREATE["posts"], headers={"Authorization": f"Bearer {expired}"}
    )

    assert problem(response, 401, "authentication")["detail"] == "the token has expired"
    assert api.position() == position


def _same_key_issuer(api: Api, issuer: str, audience: str) -> DevIssuer:
    """An issuer holding the platform's own key but naming another issuer or audience."""
    return DevIssuer(api.platform.settings.data_dir, issuer, audience, TENANTS)


@pytest.mark.parametrize(
    ("issuer", "audience", "detail"),
    [
        ("http://127.0.0.1:8000/dev-issuer", "another-api", "the token is for another audience"),
        ("https://elsewhere.example/realms/x", "entente-api", "the token is from another issuer"),
    ],
)
def test_a_token_for_another_audience_or_issuer_is_a_401(
    api: Api, issuer: str, audience: str, detail: str
) -> None:
    assert api.platform.settings.issuer == "http://127.0.0.1:8000/dev-issuer"
    token = _same_key_issuer(api, issuer, audience).token("police-recorder")

    response = api.client.get(
        "/api/police/posts/0b5f2f8e-3c1d-4f7a-9a63-2f1e5d8c7b6a",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert problem(response, 401, "authentication")["detail"] == detail


def _claims(api: Api) -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": api.platform.settings.issuer,
        "aud": api.platform.settings.audience,
        "sub": str(uuid.uuid4()),
        "typ": "Bearer",
        "iat": now,
        "exp": now + 300,
        "name": "Mallory",
        "realm_access": {"roles": ["police:recorder"]},
    }


def test_a_token_signed_with_another_key_is_a_401(api: Api) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(api), forger, algorithm="RS256", headers={"kid": api.issuer.kid})

    _refused_token(api, f"Bearer {token}")


def test_an_unsigned_token_is_a_401(api: Api) -> None:
    token = jwt.encode(_claims(api), key="", algorithm="none", headers={"kid": api.issuer.kid})

    _refused_token(api, f"Bearer {token}")


def test_a_token_with_an_unknown_key_id_is_a_401(api: Api) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(api), forger, algorithm="RS256", headers={"kid": "k-unknown"})

    _refused_token(api, f"Bearer {token}")


def test_a_directorate_token_is_forbidden_in_another_directorate(api: Api) -> None:
    theirs = api.create("missions", tenant="gendarmerie")
    position = api.position("gendarmerie")

    create = api.post("/api/gendarmerie/missions", CREATE["missions"], "police-recorder")
    read = api.get(theirs.path, "police-reader")
    decide = api.post(
        f"{theirs.path}/validation",
        CHANGE["missions", "validation"],
        "police-validator",
        version=1,
    )

    for response in (create, read, decide):
        assert problem(response, 403, "permission-denied")["detail"].startswith("your roles")
    assert api.position("gendarmerie") == position


def test_a_reader_cannot_record(api: Api) -> None:
    record = api.create("posts")
    position = api.position()

    create = api.post("/api/police/posts", CREATE["posts"], "police-reader")
    change = api.post(
        f"{record.path}/closure", CHANGE["posts", "closure"], "police-reader", version=1
    )

    assert problem(create, 403, "permission-denied")["detail"] == (
        "your roles do not allow 'record' here"
    )
    problem(change, 403, "permission-denied")
    assert api.position() == position


@pytest.mark.parametrize("segment", ["validation", "decline"])
def test_a_recorder_cannot_decide_on_a_request(api: Api, segment: str) -> None:
    record = api.create("missions")
    position = api.position()

    response = api.post(
        f"{record.path}/{segment}", CHANGE["missions", segment], "police-recorder", version=1
    )

    assert problem(response, 403, "permission-denied")["detail"] == (
        "your roles do not allow 'decide' here"
    )
    assert api.position() == position


@pytest.mark.parametrize("segment", ["validation", "decline"])
def test_a_validator_decides_on_a_request(api: Api, segment: str) -> None:
    record = api.create("missions")

    response = api.post(
        f"{record.path}/{segment}", CHANGE["missions", segment], "police-validator", version=1
    )

    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2


def test_a_validator_cannot_record(api: Api) -> None:
    record = api.walk("missions", "validation")
    position = api.position()

    create = api.post("/api/police/missions", CREATE["missions"], "police-validator")
    schedule = api.post(
        f"{record.path}/schedule", CHANGE["missions", "schedule"], "police-validator", version=2
    )

    problem(create, 403, "permission-denied")
    problem(schedule, 403, "permission-denied")
    assert api.position() == position


@pytest.mark.parametrize(
    "user", ["police-reader", "police-recorder", "police-validator", "auditor"]
)
@pytest.mark.parametrize("collection", sorted(CREATE))
def test_readers_of_the_directorate_and_auditors_can_read(
    api: Api, user: str, collection: str
) -> None:
    record = api.create(collection)

    read = api.get(record.path, user)
    history = api.get(f"{record.path}/history", user)

    assert read.status_code == 200, read.text
    assert read.json()["id"] == record.id
    assert history.status_code == 200, history.text


@pytest.mark.opens_posts
def test_an_auditor_cannot_record(api: Api) -> None:
    record = api.create("posts")
    position = api.position()

    create = api.post("/api/police/posts", CREATE["posts"], "auditor")
    change = api.post(f"{record.path}/closure", CHANGE["posts", "closure"], "auditor", version=1)

    problem(create, 403, "permission-denied")
    problem(change, 403, "permission-denied")
    assert api.position() == position


def test_an_auditor_changes_nothing_whatever_other_roles_the_token_holds(api: Api) -> None:
    """A token of auditor and police recorder (one person in both groups) recorded a
    mission: the auditor would then verify a history of their own writing."""
    roles = ("auditor", "police:recorder", "police:validator")
    api.issuer.users["auditing-recorder"] = DemoUser("auditing-recorder", "Audit + saisie", roles)
    requested = api.create("missions")
    position = api.position()

    create = api.post("/api/police/missions", CREATE["missions"], "auditing-recorder")
    decide = api.post(
        f"{requested.path}/validation",
        CHANGE["missions", "validation"],
        "auditing-recorder",
        version=requested.version,
    )

    for refused in (create, decide):
        assert "auditors change nothing" in problem(refused, 403, "permission-denied")["detail"]
    assert api.position() == position
    assert api.get(requested.path, "auditing-recorder").status_code == 200


@pytest.mark.parametrize("user", ["reporting", "admin", "gendarmerie-reader"])
@pytest.mark.parametrize("collection", sorted(CREATE))
def test_reporting_admin_and_other_directorates_cannot_read_records(
    api: Api, user: str, collection: str
) -> None:
    record = api.create(collection)

    read = api.get(record.path, user)
    history = api.get(f"{record.path}/history", user)

    problem(read, 403, "permission-denied")
    problem(history, 403, "permission-denied")


def test_an_authenticated_answer_is_never_stored_by_a_cache(api: Api) -> None:
    """Records read with a token must not outlive it in a browser's or proxy's cache."""
    read = api.client.get("/api/police/missions", headers=api.auth("police-reader"))
    expired = api.token("police-reader", ttl_seconds=-120)
    refused = api.client.get("/api/police/missions", headers={"Authorization": f"Bearer {expired}"})
    probe = api.client.get("/healthz")

    assert read.status_code == 200
    assert read.headers["Cache-Control"] == "no-store"
    assert refused.headers["Cache-Control"] == "no-store"  # the problem names the caller's fate
    assert "Cache-Control" not in probe.headers
