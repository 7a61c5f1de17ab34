"""Data passed between the layers.

The dataclasses (:class:`Block`, :class:`ParsedDocument`, :class:`Chunk`) stay inside ingestion:
loaders → chunker → index. The pydantic models are results that leave ragkb: the Python API
returns them, ``--json`` prints their ``model_dump(mode="json")`` and the HTTP API serves them (its
OpenAPI schema is made from them), so a field has one name everywhere. Numbers arrive as numpy
floats from scoring; the models make them plain floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, computed_field

from ragkb.config import KBSettings
from ragkb.profiles import RetrievalProfile
from ragkb.tables.formulas import Computation
from ragkb.tables.question import QuestionAnalysis, Route

BlockKind = Literal["heading", "paragraph", "table", "code", "header", "footer"]


@dataclass
class Block:
    """One structural unit of a parsed document.

    ``level`` is the heading depth (1 = top) for headings and 0 otherwise; ``page`` is the
    1-based page number for paged formats (PDF) and ``None`` elsewhere. Tables carry their
    Markdown rendering as ``text`` so that a chunk holding a table stays readable.
    """

    text: str
    kind: BlockKind = "paragraph"
    level: int = 0
    page: int | None = None


@dataclass
class ExtractedTable:
    """A table as a loader read it, every cell's text exactly as the document has it.

    ``header`` holds the column headers (header rows stacked above a column are joined), ``rows``
    the body rows with the row label first; a table a PDF continues on the next pages is one table,
    ``row_pages`` giving each body row's page. ``title`` is its caption or the nearest heading
    above it, ``unit`` the unit line printed with it (``单位：元``).
    """

    header: list[str]
    rows: list[list[str]]
    page: int | None = None
    page_end: int | None = None
    row_pages: list[int | None] = dataclass_field(default_factory=list)
    title: str = ""
    unit: str = ""
    cell_boxes: list[list[tuple[float, float, float, float] | None]] = dataclass_field(default_factory=list)
    """Parallel to ``rows``: where each cell's text is on its row's page, in fractions of the page
    as displayed (as :class:`Region`), ``None`` for an empty cell; empty when the format has no pages."""


@dataclass
class Region:
    """A piece of a page's text (a line, or a whole table as its Markdown) and where it is:
    ``box`` (x0, y0, x1, y1) in fractions of the page as it is displayed, 0 at the top left.
    ``ocr``: read from the page's image."""

    page: int
    text: str
    box: tuple[float, float, float, float]
    ocr: bool = False


@dataclass
class ParsedDocument:
    """``blocks`` feed the chunks; ``tables`` the table store; ``furniture`` holds what repeats
    on every page (running headers and footers, kind ``header``/``footer``), kept out of both.
    ``regions`` place the blocks' text on the pages, in the blocks' order (paged formats)."""

    blocks: list[Block]
    loader: str
    metadata: dict = dataclass_field(default_factory=dict)
    tables: list[ExtractedTable] = dataclass_field(default_factory=list)
    furniture: list[Block] = dataclass_field(default_factory=list)
    regions: list[Region] = dataclass_field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


@dataclass
class Chunk:
    """A retrievable piece of a document, with everything needed to cite it."""

    text: str
    ordinal: int
    heading_path: list[str]
    page: int | None
    char_start: int
    char_end: int
    boxes: list[PageBox] = dataclass_field(default_factory=list)


class PageBox(BaseModel):
    """Where some of a passage's text is on a page: a rectangle in fractions of the page's width and
    height, 0 at the top left, as the page's image (GET /api/kbs/{kb}/files/{id}/pages/{n}.png) shows it."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    start: int = Field(description="the characters of the file's text it holds, from start to end, like char_start")
    end: int
    ocr: bool = Field(False, description="the text there was read from the page's image (OCR)")


FilePath = Annotated[
    str,
    Field(
        description="the file's path; over HTTP its upload name, or its path below the folder the KB's files on the server "
        "were added from (a document added from Python: its source id)"
    ),
]


def source_label(file: str, page: int | None, section: list[str]) -> str:
    """``name.pdf, p. 3, 第一章 > 第二条``: how a source is shown to the model and the user."""
    label = file if "://" in file else Path(file).name  # a web page keeps its whole URL
    if page:
        label += f", p. {page}"
    if section:
        label += ", " + " > ".join(section)
    return label


class Passage(BaseModel):
    """A chunk's text and its place: file, page, section (its headings, outermost first), offsets."""

    chunk_id: int
    file: FilePath
    page: int | None
    section: list[str]
    ordinal: int = Field(description="the chunk's position in its file, from 0")
    char_start: int = 0
    char_end: int = 0
    text: str
    file_id: int | None = Field(None, description="the file's id (its page images: GET /api/kbs/{kb}/files/{id}/pages/{n}.png)")
    boxes: list[PageBox] = Field(default_factory=list, description="where its text is on its pages (PDF and image files)")


class SearchHit(Passage):
    score: float
    scores: dict[str, float] = Field(default_factory=dict, description="each stage's score (sparse, dense, rerank, ...)")
    url: str | None = Field(None, description="a web search result's page (then file is that URL and chunk_id 0: no chunk)")


class WebResult(BaseModel):
    """A page a web search engine returned for the query (profile field ``web_search``)."""

    url: str
    title: str
    snippet: str = Field(description="the engine's text about the page: what an answer may quote and cite")
    provider: str = Field(description="searxng | bing | brave | tavily")


class SearchResult(BaseModel):
    hits: list[SearchHit]
    profile: RetrievalProfile = Field(description="the retrieval profile that ran, with this request's overrides")
    queries: list[str] = Field(
        description="every text searched: the query, then the generator's phrasings and hypothetical answer"
    )
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per stage")
    dense_weight: float | None = Field(
        None, description="the embedder's share in the query's hybrid fusion (null: BM25 or the embedder alone ranked it)"
    )
    web: list[WebResult] = Field(default_factory=list, description="web search results, when the profile's web_search is on")
    notes: list[str] = Field(
        default_factory=list, description="what went wrong without failing the search, e.g. a web search that timed out"
    )


class FailedFile(BaseModel):
    path: FilePath
    error: str


class IngestReport(BaseModel):
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list, description="unchanged since they were last indexed")
    removed: list[str] = Field(default_factory=list)
    failed: list[FailedFile] = Field(default_factory=list)
    chunks: int = Field(0, description="chunks written")
    embedder: str | None = Field(None, description="the embedder this add chose for the KB (its embedder was 'auto')")
    unread: int = Field(0, description="chunks written without a vector: their language is not one the embedder reads")


class FileInfo(BaseModel):
    id: int
    path: FilePath
    status: str = Field(description="indexed | failed")
    chunks: int
    size: int
    version: int = Field(description="how many times the file was indexed")
    loader: str
    error: str | None
    ocr_pages: list[int] = Field(default_factory=list, description="pages whose text was read from their image (OCR)")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def name(self) -> str:
        return Path(self.path).name


class TableInfo(BaseModel):
    """A table the table store holds: where it is and what it is."""

    id: int
    file: FilePath
    page: int | None
    page_end: int | None
    table_index: int = Field(description="its position among its file's tables, from 0")
    title: str
    statement: str | None = Field(description="balance_sheet | income_statement | cash_flow | equity_changes | key_figures")
    scope: str | None = Field(description="consolidated | parent")
    unit: str | None = Field(description="the unit its unit line states, e.g. 万元")
    headers: list[str]
    company: str | None


class TableCell(BaseModel):
    """One value of a table: its row label and column header, the text as printed, and the number."""

    table_id: int
    file: FilePath
    file_id: int | None = Field(None, description="the file's id, for its page images")
    page: int | None
    row_index: int
    column_index: int
    row_label: str
    column_header: str
    raw_text: str = Field(description="the cell's text exactly as in the document")
    value: float | None = Field(description="in the base unit (元; a fraction for percentages); null when no number")
    unit: str | None = Field(description="the base unit of value: 元, ratio, 元/股, 股")
    metric: str | None = Field(description="the metric id (ragkb.tables.metrics) the row label names")
    year: int | None
    period: str | None = Field(description="this | last: the report's year or the one before")
    title: str
    statement: str | None
    scope: str | None
    company: str | None
    boxes: list[PageBox] = Field(
        default_factory=list,
        description="where the cell's text is on its page (start and end 0); none for cells stored before migration 0009",
    )


class KBInfo(BaseModel):
    name: str
    description: str
    settings: KBSettings
    files: int
    failed_files: int
    chunks: int


JobState = Literal["queued", "running", "done", "failed"]


class Job(BaseModel):
    """An ingestion job of the HTTP API: files done of total, then the report or the error."""

    id: str
    kb: str
    state: JobState = "queued"
    done: int = 0
    total: int = 0
    current: str | None = Field(None, description="the file being indexed")
    report: IngestReport | None = None
    error: str | None = None


class CitedCell(BaseModel):
    """The table cell a number of a computed answer was read from."""

    row_label: str
    column_header: str
    raw_text: str = Field(description="the cell's text exactly as on the page")
    value: float | None = Field(None, description="in the base unit: 元, a fraction for percentages")
    unit: str | None = Field(None, description="the base unit of value: 元, ratio, 元/股, 股")
    metric: str | None = Field(None, description="the financial metric's id (ragkb.tables.metrics)")
    year: int | None = None
    scope: str | None = Field(None, description="consolidated | parent | null (the table does not say)")
    company: str | None = None


class Citation(BaseModel):
    number: int = Field(description="the [n] marker in the answer")
    file: FilePath
    page: int | None
    section: list[str]
    quote: str = Field(description="the source's sentence that best supports the cited sentence; for a cell: row | column: text")
    chunk_id: int | None = Field(description="the passage cited; null for a table cell")
    cell: CitedCell | None = Field(None, description="the table cell cited, for a number read from a table")
    inferred: bool = Field(False, description="the answer had no marker there; ragkb matched the sentence to this source")
    url: str | None = Field(None, description="the web page cited, for a web search result (file is that URL too)")
    file_id: int | None = Field(None, description="the cited file's id, for its page images")
    boxes: list[PageBox] = Field(default_factory=list, description="where the quote is on its pages")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def label(self) -> str:
        return source_label(self.file, self.page, self.section)


class Answer(BaseModel):
    question: str
    query: str = Field(description="what was searched: the question, rewritten with the conversation's history")
    answer: str
    citations: list[Citation]
    dropped_citations: int = Field(description="markers removed: not among the sources or not supported by them")
    refused: bool
    generator: str
    retrieved: list[SearchHit] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per stage")
    fallback_from: str | None = Field(
        None, description="the generator's answer, when it cited nothing and the extractive answer replaced it"
    )
    route: Route | None = Field(
        None, description="what answered: table (cells of a report), statistics (over many reports), text (RAG) or both"
    )
    analysis: QuestionAnalysis | None = Field(None, description="what the question asks: type, entities, the route it calls for")
    computations: list[Computation] = Field(default_factory=list, description="formulas evaluated in code, with their operands")
    sql: str | None = Field(None, description="the SELECT a language model wrote for a statistics question, as it ran")
    notes: list[str] = Field(
        default_factory=list, description="what went wrong without failing the answer, e.g. a web search that timed out"
    )
    cached: bool = Field(
        False,
        description="served from the answer cache: the same question at the same KB revision, profile, persona and generator",
    )


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""The catalog stores UTC without a zone; results say so (ISO 8601 ending in ``Z``)."""


class SessionSummary(BaseModel):
    """A stored conversation with its number of messages."""

    name: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    messages: int


class Message(BaseModel):
    """A turn's question (role user) or answer (role assistant); an answer keeps what its
    :class:`Answer` showed besides the text: its citations, route, analysis, computations and SQL."""

    role: str = Field(description="user | assistant")
    content: str
    query: str | None = Field(description="what a user's question searched")
    citations: list[Citation]
    route: Route | None = Field(None, description="an answer's: what answered it (table, statistics, text, both)")
    analysis: QuestionAnalysis | None = Field(None, description="an answer's: what the question asks")
    computations: list[Computation] = Field(default_factory=list, description="an answer's: formulas evaluated in code")
    sql: str | None = Field(None, description="an answer's: the SELECT a language model wrote, as it ran")
    stopped: bool = Field(False, description="an answer the user stopped: the text it had when stopped, uncited")
    created_at: UtcDatetime


class Session(BaseModel):
    name: str
    messages: list[Message]
