"""What a curious or hostile visitor can reach on the explorer's server: only the dashboards.

Checked over plain HTTP against the real server (`voila notebooks/` with `voila.json`).
"""

from __future__ import annotations

import re

import pytest
from browser_kit import shutdown_kernel
from http_kit import http_answer
from kernel_messages import request
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Jupyter server endpoints a full Jupyter server would expose; Voila must not.
JUPYTER_ENDPOINTS = [
    "/api/contents", "/api/contents/notebooks", "/api/kernels", "/api/sessions",
    "/api/terminals", "/terminals/1", "/api/kernelspecs", "/api/config/notebook", "/lab",
    "/tree", "/api/status", "/api",
]
# Ways to ask for notebooks, data internals and config through the file and static routes.
FILE_PROBES = [
    "/voila/files/matrix.ipynb",
    "/voila/files/index.ipynb",
    "/voila/files/../voila.json",
    "/voila/files/%2e%2e/voila.json",
    "/voila/files/..%2fvoila.json",
    "/voila/files/../data/projects.csv",
    "/voila/files/../data/datapackage.json",
    "/voila/files/../explorer/app/dashboards/frame.py",
    "/voila/files/%00",
    "/voila/render/../voila.json",
    "/voila/render/..%2f..%2fetc%2fpasswd",
    "/voila/static/../../voila.json",
    "/voila/templates/explorer/static/../../../../voila.json",
    "/voila/templates/lab/static/../../../../../../etc/passwd",
    "/static/../voila.json",
]
SECRETS = re.compile(r"VoilaConfiguration|root:x:0:0|from explorer|\"resources\"|project_id,")


def raw_get(base: str, path: str) -> tuple[int, str]:
    """A GET whose path is sent exactly as written (no client-side ../ clean-up)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        status, body = response.status, response.read().decode("utf-8", "replace")
        if status in (301, 302) and response.getheader("Location"):
            return raw_get(base, response.getheader("Location"))
        return status, body
    finally:
        connection.close()


@pytest.mark.parametrize("path", JUPYTER_ENDPOINTS)
def test_jupyter_server_endpoints_are_not_exposed(voila, path):
    """Nobody can list kernels, read files, open a terminal or reach JupyterLab."""
    status, body = raw_get(voila.base, path)
    assert status == 404
    assert SECRETS.search(body) is None


@pytest.mark.parametrize("path", FILE_PROBES)
def test_notebooks_data_internals_and_config_cannot_be_read(voila, path):
    """The file routes give nothing away, however the path is dressed up.

    (Voila's template-static route answers some traversal attempts with a bare 500 from an
    assertion of its own; no content leaks, which is what matters here.)
    """
    status, body = raw_get(voila.base, path)
    assert status in (403, 404, 500)
    assert SECRETS.search(body) is None
    assert "Traceback" not in body


def test_no_notebook_source_in_the_page(voila):
    """Sources are stripped: the page shows widgets, not code."""
    status, body = http_answer(voila.url("matrix"), timeout=60)
    assert status == 200
    assert "from explorer.dashboards import build" not in body
    assert 'build("matrix")' not in body


def test_the_dashboards_are_reachable(voila):
    """The allowlist is not so tight that the pages themselves break."""
    status, body = http_answer(voila.url("overview"), timeout=60)
    assert status == 200 and "widget-view+json" in body


def kernel_replies(base: str, kernel: str, messages: list[tuple[str, dict]]) -> list[str]:
    """Send ``messages`` (type, content) on the kernel's shell channel over its websocket, as
    any visitor's script could; the types of the kernel's replies to them, in order, up to the
    reply to the last (an allowed ``kernel_info_request``: the kernel answers in order, so what
    it did not answer before that, it never will)."""
    import asyncio
    import json
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    from tornado.websocket import websocket_connect

    async def converse() -> list[str]:
        socket_ = await websocket_connect(
            base.replace("http://", "ws://", 1) + f"/api/kernels/{kernel}/channels")
        session, ids = uuid.uuid4().hex, []
        try:
            for msg_type, content in messages:
                sent = request(msg_type, content, session)
                ids.append(sent["header"]["msg_id"])
                await socket_.write_message(json.dumps(sent))
            replies = []
            while True:
                raw = await asyncio.wait_for(socket_.read_message(), 60)
                assert raw is not None, "the kernel's websocket closed"
                message = json.loads(raw) if isinstance(raw, str) else {}
                parent = message.get("parent_header", {}).get("msg_id")
                if parent in ids and message["msg_type"] != "status":
                    replies.append(message["msg_type"])
                    if parent == ids[-1] and message["msg_type"].endswith("_reply"):
                        return replies
        finally:
            socket_.close()

    with ThreadPoolExecutor(max_workers=1) as worker:  # away from Playwright's event loop
        return worker.submit(asyncio.run, converse()).result()


def test_a_visitor_cannot_run_code_in_a_kernel_through_its_websocket(voila, tmp_path):
    """A page's kernel takes widget messages from the browser, never code: an
    ``execute_request`` sent over the page's websocket is dropped by the server (Voila allows
    comm, kernel-info and shutdown messages only), so it neither runs nor gets an answer."""
    status, body = http_answer(voila.url("overview"), timeout=60)
    assert status == 200
    kernel = re.search(r'"kernelId": "([0-9a-f-]{36})"', body).group(1)
    planted = tmp_path / "ran"
    try:
        replies = kernel_replies(voila.base, kernel, [
            ("execute_request", {"code": f"open({str(planted)!r}, 'w').write('ran')",
                                 "silent": False, "store_history": False,
                                 "user_expressions": {}, "allow_stdin": False,
                                 "stop_on_error": True}),
            ("kernel_info_request", {}),
        ])
    finally:
        shutdown_kernel(voila.base, kernel)
    assert replies == ["kernel_info_reply"]
    assert not planted.exists()


def test_a_failing_notebook_shows_no_traceback(voila_factory, tmp_path):
    """Force a real failure in a cell: the page says something went wrong, without details."""
    import nbformat

    notebooks = tmp_path / "failing"
    notebooks.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        "secret = 'hunter2'\nraise RuntimeError('internal detail ' + secret)")]
    notebook.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}}
    nbformat.write(notebook, notebooks / "index.ipynb")
    server = voila_factory(None, notebook_dir=notebooks)
    status, body = http_answer(server.url("index"), timeout=60)
    assert "hunter2" not in body and "internal detail" not in body
    assert "Traceback" not in body and "RuntimeError" not in body
    assert status == 200 and "There was an error when executing cell" in body


def test_an_unknown_page_answers_404_in_words_with_a_link_that_looks_like_one(web):
    """A mistyped address gets the explorer's own 404 page: a plain heading and a link back to
    the list of dashboards, underlined and coloured apart from the text (JupyterLab's base
    styles would make it look like plain text)."""
    page = web.new_page()
    response = page.goto(f"{web.server.base}/voila/render/no-such-page.ipynb")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    link = page.get_by_role("link", name="See the list of dashboards")
    underline, colour, text_colour = link.evaluate(
        """(a) => [getComputedStyle(a).textDecorationLine, getComputedStyle(a).color,
                   getComputedStyle(a.parentElement).color]""")
    assert "underline" in underline and colour != text_colour
    web.assert_clean()
