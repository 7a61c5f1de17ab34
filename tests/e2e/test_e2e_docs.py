"""/docs shows Swagger UI from the package with no network beyond the server itself: FastAPI's
default page loads Swagger UI from a CDN and stays blank offline."""

from __future__ import annotations

from playwright.sync_api import expect


def test_the_api_docs_open_offline(open_ui, server, screenshot):
    page = open_ui(wait_until_ready=False).page
    elsewhere = []

    def only_the_server(route):
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    page.goto(server.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ragkb")
    expect(page.locator(".opblock-summary-path", has_text="/api/kbs/{kb}/ask")).to_have_count(1)
    page.locator(".opblock-summary-path", has_text="/api/health").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert not elsewhere, f"/docs loaded from elsewhere: {elsewhere}"
    assert server.request("GET", "/redoc").status_code == 404  # ReDoc only comes from a CDN: not served
    screenshot(page, "docs-1-swagger", full_page=False)
