"""Specifications of the template environment: compiled templates are shared between
processes, and a cache that cannot be kept never stops a page."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader

from explorer.render import html


def _environment(cache: html.SharedBytecode | None) -> Environment:
    return Environment(loader=PackageLoader("explorer.render", "templates"), autoescape=True,
                       bytecode_cache=cache, auto_reload=False)


def test_a_template_compiled_once_is_loaded_by_the_next_process(tmp_path, monkeypatch):
    """A reader's kernel loads the templates another kernel compiled, instead of compiling
    them again (a fifth of a first tour's work)."""
    _environment(html.bytecode_cache(str(tmp_path))).get_template("heading.html.j2")
    assert list(tmp_path.iterdir()), "nothing was kept"

    def no_compiling(*_args, **_kwargs):
        raise AssertionError("compiled again")

    later = _environment(html.bytecode_cache(str(tmp_path)))  # as a new process would
    monkeypatch.setattr(later, "compile", no_compiling)
    assert "Hello" in later.get_template("heading.html.j2").render(text="Hello")


def test_a_changed_template_is_compiled_afresh(tmp_path):
    """The cache is checked against the template's source: an edited template is never
    served from an old compilation."""
    (tmp_path / "cache").mkdir()
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.j2"
    page.write_text("first", encoding="utf-8")

    def render() -> str:
        from jinja2 import FileSystemLoader
        env = Environment(loader=FileSystemLoader(tmp_path / "templates"),
                          bytecode_cache=html.bytecode_cache(str(tmp_path / "cache")))
        return env.get_template("page.j2").render()

    assert render() == "first"
    page.write_text("second", encoding="utf-8")
    assert render() == "second"


def test_a_cache_that_cannot_write_still_renders(tmp_path, monkeypatch):
    """Writing a compiled template is best effort: an error writing it is not the page's."""
    cache = html.bytecode_cache(str(tmp_path))
    assert cache is not None

    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tempfile.NamedTemporaryFile", full_disk)
    env = _environment(cache)
    assert "Hi" in env.get_template("heading.html.j2").render(text="Hi")
    assert not list(tmp_path.iterdir())


def test_no_safe_folder_means_no_cache(monkeypatch):
    """Where Jinja finds no safe per-user folder, the environment runs without a cache."""
    def unsafe(_self):
        raise RuntimeError("Cannot determine safe temp directory.")

    monkeypatch.setattr(html.SharedBytecode, "_get_default_cache_dir", unsafe)
    assert html.bytecode_cache() is None
