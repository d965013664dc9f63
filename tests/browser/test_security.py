"""What a curious or hostile visitor can reach on the explorer's server: only the dashboards.

Checked over plain HTTP against the real server (`voila notebooks/` with `voila.json`).
"""

from __future__ import annotations

import re

import pytest
from http_kit import http_answer
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
    "/voila/files/../explorer/dashboards/frame.py",
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
