"""Web search beside the documents: SearXNG's JSON API, Bing Web Search, Brave Search or Tavily.

Off unless a profile or request sets ``web_search``; then the query goes to that provider only if the
user configured it (its URL or key in the settings: ``RAGKB_SEARXNG_URL``, ``RAGKB_BING_API_KEY``,
``RAGKB_BRAVE_API_KEY``, ``RAGKB_TAVILY_API_KEY``), so ragkb never opens a connection nobody asked
for. The search runs in a thread beside the knowledge base's own retrieval; a provider that fails,
answers garbage or takes longer than ``web_search_timeout`` seconds leaves a one-line note in the
result and no web results, never an error. Results become sources cited by their URL
(:func:`web_hits`).
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import httpx

from ragkb.config import Settings
from ragkb.models import SearchHit, WebResult

TAG = re.compile(r"<[^>]+>")
USER_AGENT = {"User-Agent": "ragkb"}
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ragkb-web")


@dataclass
class WebFound:
    results: list[WebResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _text(value: object) -> str:
    """An engine's title or snippet as plain text (Brave marks query words with <strong>)."""
    return " ".join(html.unescape(TAG.sub("", str(value or ""))).split())


def _searxng(client: httpx.Client, settings: Settings, query: str, count: int) -> list[dict]:
    base = str(settings.searxng_url).rstrip("/")
    body = client.get(f"{base}/search", params={"q": query, "format": "json"}).raise_for_status().json()
    return [{"url": r["url"], "title": r.get("title"), "snippet": r.get("content")} for r in body["results"]]


def _bing(client: httpx.Client, settings: Settings, query: str, count: int) -> list[dict]:
    headers = {"Ocp-Apim-Subscription-Key": str(settings.bing_api_key)}
    body = client.get(settings.bing_url, params={"q": query, "count": count}, headers=headers).raise_for_status().json()
    pages = body.get("webPages", {}).get("value", [])  # no webPages: nothing found
    return [{"url": p["url"], "title": p.get("name"), "snippet": p.get("snippet")} for p in pages]


def _brave(client: httpx.Client, settings: Settings, query: str, count: int) -> list[dict]:
    headers = {"X-Subscription-Token": str(settings.brave_api_key), "Accept": "application/json"}
    body = client.get(settings.brave_url, params={"q": query, "count": count}, headers=headers).raise_for_status().json()
    found = body.get("web", {}).get("results", [])
    return [{"url": r["url"], "title": r.get("title"), "snippet": r.get("description")} for r in found]


def _tavily(client: httpx.Client, settings: Settings, query: str, count: int) -> list[dict]:
    headers = {"Authorization": f"Bearer {settings.tavily_api_key}"}
    request = {"query": query, "max_results": count, "search_depth": "basic"}
    body = client.post(settings.tavily_url, json=request, headers=headers).raise_for_status().json()
    return [{"url": r["url"], "title": r.get("title"), "snippet": r.get("content")} for r in body["results"]]


@dataclass(frozen=True)
class Provider:
    fetch: Callable[[httpx.Client, Settings, str, int], list[dict]]
    """The engine's results as url, title and snippet."""
    setting: str
    """The setting that configures it; unset, the provider is never asked."""


PROVIDERS: dict[str, Provider] = {
    "searxng": Provider(_searxng, "searxng_url"),
    "bing": Provider(_bing, "bing_api_key"),
    "brave": Provider(_brave, "brave_api_key"),
    "tavily": Provider(_tavily, "tavily_api_key"),
}


def search_web(provider: str, query: str, count: int, settings: Settings) -> WebFound:
    """At most ``count`` results of ``provider`` for ``query``, or none and a note saying why."""
    chosen = PROVIDERS[provider]
    if not getattr(settings, chosen.setting):
        return WebFound(notes=[f"web search '{provider}' is not configured; set RAGKB_{chosen.setting.upper()}"])
    try:
        with httpx.Client(timeout=settings.web_search_timeout, headers=USER_AGENT, follow_redirects=True) as client:
            found = chosen.fetch(client, settings, query, count)
        results = [
            WebResult(url=str(r["url"]), title=_text(r["title"]) or str(r["url"]), snippet=_text(r["snippet"]), provider=provider)
            for r in found
            if str(r.get("url") or "").startswith(("http://", "https://"))
        ]
    except httpx.TimeoutException:
        return WebFound(notes=[f"web search '{provider}' did not answer within {settings.web_search_timeout:g} s"])
    except httpx.HTTPStatusError as error:
        return WebFound(notes=[f"web search '{provider}' failed: HTTP {error.response.status_code}"])
    except httpx.HTTPError as error:
        return WebFound(notes=[f"web search '{provider}' failed: {type(error).__name__}"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:  # not JSON, or not the engine's shape
        return WebFound(notes=[f"web search '{provider}' sent an answer ragkb cannot read ({type(error).__name__})"])
    return WebFound(results=[r for r in results if r.snippet][:count])


class PendingWebSearch:
    """A web search started beside the knowledge base's retrieval; :meth:`collect` waits for it, at
    most ``web_search_timeout`` seconds from the start (a provider that sends slowly is cut off)."""

    def __init__(self, provider: str, query: str, count: int, settings: Settings):
        self.provider = provider
        self.deadline = time.monotonic() + settings.web_search_timeout
        self.timeout = settings.web_search_timeout
        self.future: Future[WebFound] = _pool.submit(search_web, provider, query, count, settings)

    def collect(self) -> WebFound:
        try:
            return self.future.result(timeout=max(self.deadline - time.monotonic(), 0.0))
        except FutureTimeout:
            return WebFound(notes=[f"web search '{self.provider}' did not answer within {self.timeout:g} s"])


def start_web_search(provider: str, query: str, count: int, settings: Settings) -> PendingWebSearch | None:
    """The search, running, if ``provider`` is not ``off``."""
    return None if provider == "off" else PendingWebSearch(provider, query, count, settings)


def web_hits(results: list[WebResult]) -> list[SearchHit]:
    """Web results as sources beside the documents' hits: the page's URL is their file, its title
    their section, the engine's snippet their text; ``chunk_id`` 0 (no chunk of the KB)."""
    return [
        SearchHit(
            chunk_id=0,
            file=result.url,
            page=None,
            section=[result.title],
            ordinal=rank,
            text=result.snippet,
            score=1 / (rank + 1),
            scores={"web": 1 / (rank + 1)},
            url=result.url,
        )
        for rank, result in enumerate(results)
    ]
