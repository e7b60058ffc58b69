"""A small HTTP client for the load generator: cookies, CSRF, JSON, redirects left unfollowed.

Standard library only. A refused or cut connection (a server killed mid-request) raises
Unreachable; the caller decides whether to send the same request again.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Final

TIMEOUT_S: Final = 15.0


class Unreachable(Exception):
    """No answer: the connection was refused, reset or timed out."""


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    body: str

    def json(self) -> dict[str, object]:
        data = json.loads(self.body)
        assert isinstance(data, dict), self.body[:200]
        return data


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        json_body: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        data = None
        all_headers = {"Accept-Language": "en", **(headers or {})}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with self.opener.open(request, timeout=TIMEOUT_S) as response:
                return Answer(
                    response.status, response.headers.get("Location", ""), _text(response)
                )
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers.get("Location", ""), _text(error))
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            raise Unreachable(f"{method} {path}: {error}") from error

    def csrf_token(self) -> str:
        for cookie in self.cookies:
            if cookie.name == "csrftoken" and cookie.value:
                return cookie.value
        return ""

    def post_form(self, path: str, form: dict[str, str], *, csrf_from: str = "") -> Answer:
        """POST a form with the CSRF token (fetching a page first when there is no cookie yet)."""
        if not self.csrf_token():
            self.request("GET", csrf_from or path)
        return self.request("POST", path, form={**form, "csrfmiddlewaretoken": self.csrf_token()})


def _text(response: http.client.HTTPResponse | urllib.error.HTTPError) -> str:
    try:
        return response.read().decode("utf-8", errors="replace")
    except (http.client.HTTPException, OSError) as error:
        raise Unreachable(f"the answer was cut: {error}") from error
