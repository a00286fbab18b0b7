"""The Host header: a bad one is a 400 problem (never a 500), and no answer is built from it."""

from __future__ import annotations

import csv
import io
import logging
import socket

import feedparser
import pytest

from searchsvc import create_app
from tests.support import G7_ID, SEEDS
from tests.support.web import LiveServer

EVIL = "evil.example"
PUBLIC = "https://news.example.org"
BAD_HOSTS = [
    "a" * 64,  # one label past DNS's 63 characters: Werkzeug's IDNA encoding fails on it
    "a" * 70 + ".example.org",
    ".".join(["abcdefghij"] * 30),  # 329 characters in all
    "exa mple.com",
    "ex<ample>.com",
    "example..com",
    "example.com:80:80",
    "ünïcode.example",
]
PATHS = ["/", "/search?q=korea", "/api/search?q=korea", "/feeds/search.atom?q=korea"]
PATHS += ["/api/search.csv?q=korea", "/no/such/page", "/static/style.css", "//search?q=x"]


@pytest.fixture(scope="module")
def public_client(seed_index):
    app = create_app({"TESTING": True, "INDEX": seed_index, "SEEDS": SEEDS, "PUBLIC_URL": PUBLIC})
    return app.test_client()


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_a_bad_host_is_a_400_problem_on_every_path(client, host, caplog):
    caplog.set_level(logging.ERROR)
    for path in PATHS:
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, (path, response.data[:200])
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["code"] == "bad_host" and host not in problem["detail"]
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert caplog.records == []  # nothing unexpected: no traceback logged


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "news_app", "a" * 63]
)
def test_ordinary_hosts_are_served(client, host):
    assert client.get("/search?q=korea", headers={"Host": host}).status_code == 200


def test_without_a_public_url_nothing_is_built_from_the_host(client):
    feed = client.get("/feeds/search.atom?q=ishiba", headers={"Host": EVIL})
    assert EVIL.encode() not in feed.data
    assert feedparser.parse(feed.data).entries[0].link.startswith("http://127.0.0.1:8000/")
    export = client.get("/api/search.csv?q=Kananaskis", headers={"Host": EVIL}).text
    [row] = csv.DictReader(io.StringIO(export))
    assert row["url"] == f"/articles/{G7_ID}"
    redirect = client.get("/api//search?q=korea", headers={"Host": EVIL})
    assert redirect.status_code == 308
    assert redirect.headers["Location"] == "/api/search?q=korea"


def test_with_a_public_url_every_absolute_address_uses_it(public_client):
    feed_response = public_client.get("/feeds/search.atom?q=ishiba", headers={"Host": EVIL})
    assert EVIL.encode() not in feed_response.data
    feed = feedparser.parse(feed_response.data)
    assert feed.entries[0].link == f"{PUBLIC}/articles/{G7_ID}"
    assert {link.href for link in feed.feed.links} == {
        f"{PUBLIC}/feeds/search.atom?q=ishiba",
        f"{PUBLIC}/search?q=ishiba&sort=newest",
    }
    export = public_client.get("/api/search.jsonl?q=Kananaskis", headers={"Host": EVIL})
    assert f'"url": "{PUBLIC}/articles/{G7_ID}"' in export.text and EVIL not in export.text
    redirect = public_client.get("/api//search?q=korea", headers={"Host": EVIL})
    assert redirect.headers["Location"] == f"{PUBLIC}/api/search?q=korea"
    page = public_client.get("/search?q=korea&per_page=2", headers={"Host": EVIL})
    assert EVIL not in page.text
    api = public_client.get("/api/search?q=korea&per_page=2", headers={"Host": EVIL})
    assert EVIL not in api.headers["Link"] and EVIL not in api.text


@pytest.mark.live
def test_gunicorn_answers_a_long_host_with_a_400_and_logs_no_traceback(live_server: LiveServer):
    for path in ("/", "/search?q=korea", "/no/such/page"):
        with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as conn:
            request = f"GET {path} HTTP/1.1\r\nHost: {'a' * 70}\r\nConnection: close\r\n\r\n"
            conn.sendall(request.encode())
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 400 "), reply[:300]
        assert b"application/problem+json" in reply and b"bad_host" in reply
    assert "Traceback" not in live_server.logs()
