"""What a page's content is made of: blocks that every output draws its own way.

A view (``explorer.pages.views``) returns a ``Content``: a title and a tuple of blocks
(``Html``, ``Chart``, ``Download``, ``Choice``, ``FacetFilter``, ``Grid``, ``Form``). The
live dashboards draw them as widgets, the static site and the printed documents as HTML
(``explorer.render.document``). ``Links`` is what a view asks of the output it is drawn for.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from ..data.load import Dataset
from .figures import Figure

__all__ = ["Block", "Chart", "Choice", "Content", "Download", "FacetFilter", "Form", "Grid",
           "Html", "Links"]


class Links(ABC):
    """The output a view is drawn for: the one protocol every output implements.

    A view never asks which output it is drawn for; it asks what the output can do, through
    the flags below, and the output makes its addresses (``href``) and its offers
    (``briefing``). Each output is one subclass: the live dashboards
    (``explorer.app.outputs.LiveLinks``), the static site (``explorer.app.outputs.StaticLinks``),
    the briefing and the printed handout (``explorer.app.briefings``). A new output is one new
    subclass that sets these flags.
    """

    #: The reader changes the view in place: controls, on-demand downloads, live-only notes.
    interactive: bool = False
    #: The output is a set of files linked together (the static site): a choice becomes
    #: links to the files of its options, and a page may hold sections a live page folds away.
    linked_files: bool = False
    #: On paper: sized for an A4 page, no camera buttons, words for what a click would do.
    printed: bool = False
    #: One document holding the whole programme in sections (the briefing): a page leaves
    #: out what another section holds, and cites only what the document cites.
    whole_programme: bool = False
    #: How a rating's source trail shows: "folded" (opens on demand), "open" or "none".
    trails: str = "folded"

    def holds_page(self, live: bool) -> bool:
        """Whether this output has a page that a list of pages may point at (``live``: the
        page has a live notebook). Only the live dashboards lack the static-only pages."""
        return live or not self.interactive

    @abstractmethod
    def href(self, page: str, **parameters: str) -> str:
        """The address of ``page`` in the view ``parameters`` describe ('' for none)."""

    @abstractmethod
    def briefing(self, ds: Dataset, project_id: str = "") -> Download | None:
        """The briefing (of one project, or of the whole programme) as a download, where
        this output offers one: the live dashboards make it on demand; None elsewhere."""


@dataclass(frozen=True)
class Html:
    """Trusted markup (rendered from the autoescaped templates)."""

    key: str
    markup: Markup
    css: str = ""
    live: bool = True
    static: bool = True


@dataclass(frozen=True)
class Chart:
    """A chart: its figure (None hides it), its text alternative and its PNG's file name."""

    key: str
    figure: Figure | None
    description: str
    filename: str


@dataclass(frozen=True)
class Download:
    """A file built only when the reader asks for it.

    ``build`` returns the file's bytes. ``static``: the static site writes the file beside
    the page and links to it (for small files such as CSVs).
    """

    key: str
    label: str
    filename: str
    mimetype: str
    build: Callable[[], bytes] = field(compare=False)
    help: str = ""
    static: bool = False


@dataclass(frozen=True)
class Choice:
    """One value of ``parameter`` chosen from ``options`` (``(id, label)`` pairs).

    ``slot`` places the choice inside a many-valued parameter (compare's first, second or
    third project); ``blank`` labels an empty choice when one is allowed. Choosing
    ``default`` leaves the parameter out of the address; choosing anything clears the
    parameters in ``resets`` (a new column choice forgets the chosen cell).
    """

    key: str
    parameter: str
    label: str
    options: tuple[tuple[str, str], ...]
    value: str
    slot: int | None = None
    blank: str | None = None
    static_links: bool = True
    default: str = ""
    resets: tuple[str, ...] = ()


@dataclass(frozen=True)
class FacetFilter:
    """Checkbox filters: ``facets`` as ``FacetFilters`` expects, ``value`` the choices."""

    key: str
    facets: tuple[Mapping[str, Any], ...]
    value: Mapping[str, tuple[str, ...]]
    help: str
    expanded: bool = False
    resets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grid:
    """The evidence grid: ``grid`` and ``styles`` as ``EvidenceGrid`` expects them; a choice
    sets ``parameter``. ``static`` is the same matrix as a table of links."""

    key: str
    grid: Mapping[str, Any]
    styles: Mapping[str, Any]
    selected: str
    static: Markup
    parameter: str = "cell"


@dataclass(frozen=True)
class Form:
    """The lessons exercise: ``questions`` and ``value`` as ``LessonsForm`` expects them.

    ``to_query`` turns what the browser sent into a query string the page's parameters then
    check; ``static`` is the printable worksheet.
    """

    key: str
    questions: Mapping[str, Any]
    value: Mapping[str, Any]
    to_query: Callable[[object], str] = field(compare=False)
    static: Markup = field(default_factory=lambda: Markup(""))


Block = Html | Chart | Download | Choice | FacetFilter | Grid | Form


@dataclass(frozen=True)
class Content:
    """A page's content for one view: its title, what it shows in words, and its blocks.

    ``heading`` is the page's title and view for a document (e.g. 'Project story:
    Pathway'); ``describe`` says what the view shows, for a citation.
    """

    heading: str
    blocks: tuple[Block, ...]
    describe: str = ""

    def block(self, key: str) -> Block:
        """The block called ``key``."""
        for block in self.blocks:
            if block.key == key:
                return block
        raise KeyError(key)
