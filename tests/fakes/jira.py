"""A local Jira Cloud REST API v3: /myself and the enhanced JQL search, in their documented shapes.

GET /rest/api/3/search/jql takes jql, fields (only the fields named come back), maxResults and
nextPageToken; answers {issues, nextPageToken, isLast} with no total. The fake understands JQL of
the form `(project = KEY) AND updated >= "yyyy-MM-dd HH:mm" ORDER BY updated ASC, key ASC`, with
the date read on the user's time zone, and refuses unbounded JQL as Jira does. Basic auth with
email + API token; 401 is a plain-text body, 400 carries errorMessages.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.ticket_api import FakeApi, Reply, Request

BOUND = re.compile(r'^\((?P<filter>.*)\) AND updated >= "(?P<since>\d{4}-\d\d-\d\d \d\d:\d\d)" ORDER BY updated ASC, key ASC$')
PROJECT = re.compile(r"^project\s*=\s*(?P<key>[A-Z][A-Z0-9]*)$")


def jira_time(at: datetime, tz: str = "Europe/Brussels") -> str:
    """Jira's format: local offset without a colon, milliseconds."""
    local = at.astimezone(ZoneInfo(tz))
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")


def jira_issue(key: str, created: datetime, updated: datetime | None = None, *, summary: str = "",
               status: str = "Open", category: str = "new", priority: str | None = "Medium",
               issuetype: str = "Bug", labels=(), components=()) -> dict[str, Any]:
    n = int(key.rsplit("-", 1)[1])
    return {
        "id": str(10_000 + n),
        "key": key,
        "self": f"https://acme.atlassian.net/rest/api/3/issue/{10_000 + n}",
        "fields": {
            "summary": summary or f"Issue {key}",
            "status": {"name": status, "statusCategory": {"key": category, "name": category.title()}},
            "priority": {"name": priority, "id": "3"} if priority else None,
            "issuetype": {"name": issuetype, "subtask": False},
            "labels": list(labels),
            "components": [{"name": c} for c in components],
            "created": jira_time(created),
            "updated": jira_time(updated or created),
            "description": {"type": "doc", "version": 1, "content": []},
        },
    }


class FakeJira(FakeApi):
    def __init__(self, email: str = "ops@acme.example", token: str = "atl_test_token_5678",
                 user_tz: str = "America/New_York", max_results: int = 100):
        super().__init__()
        self.email, self.token, self.user_tz = email, token, user_tz
        self.max_results = max_results
        self.issues: dict[str, dict[str, Any]] = {}

    def put(self, *issues: dict[str, Any]) -> None:
        for issue in issues:
            self.issues[issue["key"]] = issue

    def answer(self, request: Request) -> Reply:
        if request.basic_auth() != (self.email, self.token):
            return Reply(401, b"Client must be authenticated to access this resource.",
                         {"Content-Type": "text/html;charset=UTF-8"})
        if request.path == "/rest/api/3/myself":
            return Reply(200, {"accountId": "5b10a2844c20165700ede21g", "emailAddress": self.email,
                               "displayName": "Ops", "timeZone": self.user_tz, "active": True})
        if request.path == "/rest/api/3/search":
            return Reply(410, {"errorMessages": ["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."]})
        if request.path != "/rest/api/3/search/jql":
            return Reply(404, {"errorMessages": ["Not found"], "errors": {}})
        q = request.query
        bound = BOUND.match(q.get("jql", ""))
        if not bound:
            return Reply(400, {"errorMessages": ["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."], "errors": {}})
        project = PROJECT.match(bound["filter"].strip())
        if not project:
            return Reply(400, {"errorMessages": [f"Error in the JQL Query: '{bound['filter']}' is not understood by this fake."], "errors": {}})
        since = datetime.strptime(bound["since"], "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(self.user_tz))
        matching = sorted(
            (i for i in self.issues.values()
             if i["key"].startswith(project["key"] + "-") and datetime.fromisoformat(i["fields"]["updated"]) >= since),
            key=lambda i: (datetime.fromisoformat(i["fields"]["updated"]), i["key"]),
        )
        start = int(base64.b64decode(q["nextPageToken"]).decode()) if q.get("nextPageToken") else 0
        size = min(int(q.get("maxResults", 50)), self.max_results)
        wanted = [f for f in q.get("fields", "id").split(",") if f]
        page = [{"id": i["id"], "key": i["key"], "self": i["self"],
                 "fields": {f: i["fields"][f] for f in wanted if f in i["fields"]}}
                for i in matching[start:start + size]]
        body: dict[str, Any] = {"issues": page, "isLast": start + size >= len(matching)}
        if not body["isLast"]:
            body["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
        return Reply(200, body)
