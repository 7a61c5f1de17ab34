"""What an instruction asks for, read by rules (Chinese and English): the action, which files, where.

Each rule takes its words out of the instruction; what is left, less filler words, are the words a
file's name (or, with a KB, its text) must hold: "把所有发票 PDF 移到 invoices 目录并打上标签" is a
move of PDFs with 发票 (or invoice) in the name or text to ``invoices/``, tagged 发票.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Literal

from ragkb.errors import RagkbError

Action = Literal["move", "copy", "rename", "delete", "tag"]
RenameBy = Literal["signing_date", "modified_date", "extension", "prefix"]

ACTIONS: list[tuple[Action, str]] = [  # the first that matches is the action
    ("rename", r"重命名|改名|加前缀|添加前缀|\brename\b|\badd (?:a |the )?prefix\b"),
    ("copy", r"复制|拷贝|\bcopy\b"),
    ("delete", r"删除|删掉|删去|清除|清理|\bdelete\b|\bremove\b|\berase\b"),
    ("move", r"移到|移动|移至|移入|挪到|放到|放进|归档到|整理到|\bmove\b|\bput\b"),
    ("tag", r"打上标签|加上标签|添加标签|加标签|打标签|标记为|标注为|\btag\b|\blabel\b"),
]
TYPES: list[tuple[str, tuple[str, ...]]] = [
    (r"pdf", (".pdf",)),
    (r"word|docx?|word ?文档", (".docx", ".doc")),
    (r"excel|xlsx?|电子表格|表格", (".xlsx", ".xls", ".csv")),
    (r"csv", (".csv",)),
    (r"markdown|md", (".md", ".markdown")),
    (r"txt|text files?|文本文件", (".txt",)),
    (r"html?|网页", (".html", ".htm")),
    (r"jsonl?", (".json", ".jsonl")),
    (r"pptx?|powerpoint|幻灯片|演示文稿", (".pptx", ".ppt")),
    (
        r"images?|pictures?|photos?|screenshots?|图片|照片|图像|截图",
        (".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".bmp", ".tif", ".tiff"),
    ),
    (r"videos?|视频", (".mp4", ".mov", ".avi", ".mkv", ".webm")),
    (r"audio|music|音频|音乐|录音", (".mp3", ".wav", ".flac", ".m4a", ".aac", ".ogg")),
    (r"zip|压缩包|压缩文件", (".zip", ".rar", ".7z", ".tar", ".gz")),
    (r"logs?|日志", (".log",)),
    (r"temporary files?|temp files?|tmp|临时文件", (".tmp", ".temp")),
]
ZH_FILLER = sorted(
    ["把", "将", "所有", "全部", "每个", "一切", "这些", "那些", "的", "文件夹", "文件", "文档", "目录", "里面", "里", "中",
     "下面", "并且", "并", "然后", "都", "给", "请", "帮我", "我的", "我", "一下", "扫描件", "扫描", "按照", "按", "根据",
     "到", "个", "份", "和", "及", "修改过", "修改", "创建"],
    key=len,
    reverse=True,
)  # fmt: skip
EN_FILLER = {
    "all", "every", "each", "the", "a", "an", "my", "our", "your", "files", "file", "documents", "document", "docs",
    "them", "it", "those", "these", "please", "and", "then", "in", "from", "of", "scanned", "that", "which", "are",
    "is", "any", "some", "folder", "directory", "dir", "with", "their", "its", "by", "for", "on", "up", "named",
    "called", "only", "also", "me", "to", "into", "modified", "changed", "created", "updated", "last", "everything",
    "anything", "stuff"
}  # fmt: skip
SYNONYMS = [
    {"发票", "invoice"},
    {"合同", "协议", "contract", "agreement"},
    {"收据", "receipt"},
    {"报销", "reimbursement", "expense"},
    {"简历", "resume", "cv"},
    {"报告", "report"},
    {"会议纪要", "纪要", "minutes"},
]
UNITS = {"b": 1, "byte": 1, "bytes": 1, "字节": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "兆": 1024**2}
UNITS |= {"g": 1024**3, "gb": 1024**3, "t": 1024**4, "tb": 1024**4}
SPANS = {"天": 1, "日": 1, "day": 1, "周": 7, "星期": 7, "week": 7, "个月": 30, "月": 30, "month": 30, "年": 365, "year": 365}
NAME = r"[\"“「']?([^\s\"”」'，,。;；]+?)[\"”」']?"
SEP = r"(?=[\s，,。;；并和然]|$)"


@dataclass
class Request:
    """An instruction as the rules read it."""

    action: Action
    extensions: set[str] = field(default_factory=set)
    globs: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    """Each must be in the file's name or (with a KB) its text; a word stands for its synonyms too."""
    about: str | None = None
    """Only files whose text (the KB's search) is about this."""
    tagged: str | None = None
    after: datetime | None = None
    before: datetime | None = None
    min_size: int | None = None
    max_size: int | None = None
    duplicates: bool = False
    destination: str | None = None
    add_tags: list[str] | None = None
    """Tags to add; ``[]``: the instruction asks for a tag without naming it (the first word, else the folder)."""
    rename_by: RenameBy | None = None
    rename_to: str = ""
    """The new extension, or the prefix."""

    @property
    def picks(self) -> bool:
        """Whether it says which files (a plan for every file is never made by rules)."""
        return bool(
            self.extensions or self.globs or self.words or self.about or self.tagged or self.duplicates
            or self.after or self.before or self.min_size is not None or self.max_size is not None
        )  # fmt: skip


def synonyms(word: str) -> set[str]:
    return next((group for group in SYNONYMS if word in group), {word})


class Reader:
    """The instruction, with the parts rules have understood taken out."""

    def __init__(self, text: str) -> None:
        self.rest = unicodedata.normalize("NFKC", text).strip()

    def take(self, pattern: str) -> re.Match[str] | None:
        match = re.search(pattern, self.rest, re.IGNORECASE)
        if match:
            self.rest = self.rest[: match.start()] + " " + self.rest[match.end() :]
        return match

    def take_all(self, pattern: str) -> list[re.Match[str]]:
        found = []
        while (match := self.take(pattern)) is not None:
            found.append(match)
        return found


def parse(instruction: str, now: datetime | None = None) -> Request:
    """Read ``instruction``; :class:`RagkbError` when no rule says what to do."""
    now = now or datetime.now(timezone.utc)
    reader = Reader(instruction)
    request = Request(action=action_of(reader.rest))
    read_rename(reader, request)
    read_tags(reader, request)
    read_dates(reader, request, now)
    read_sizes(reader, request)
    about = reader.take(r"(?:内容)?(?:关于|有关|涉及|提到|提及|包含|含有)\s*[\"“「']?(.+?)[\"”」']?\s*的") or reader.take(
        r"\b(?:about|mentioning|mentions?|containing|contains?|regarding|concerning)\s+[\"']?(.+?)[\"']?"
        r"(?=\s+(?:to|into|and|under|as|with|from|in)\b|[,;]|\.?$)"
    )
    request.about = about[1].strip() if about else None
    request.duplicates = bool(reader.take(r"重复|相同内容|一样的|\bduplicates?\b|\bidentical\b|\bsame content\b"))
    destination = reader.take(
        rf"(?:移到|移动到|移至|移入|挪到|放到|放进|复制到|拷贝到|归档到|整理到|到)\s*{NAME}\s*(?:目录|文件夹|下面|下|里面|里|中)?{SEP}"
    ) or reader.take(
        r"\b(?:to|into|under)\s+(?:the\s+)?(?:folder\s+|directory\s+)?[\"']?([^\s\"',;]+?)[\"']?(?:\s+(?:folder|directory|dir)\b)?(?=[,;]|\.?(?:\s|$))"
    )
    request.destination = destination[1].strip("/") if destination else None
    request.globs = [match[0] for match in reader.take_all(r"[^\s\"'“”「」，,]*[*?][^\s\"'“”「」，,]*")]
    for pattern, extensions in TYPES:
        if reader.take(rf"(?<![\w.])(?:{pattern})s?(?![\w])" if pattern.isascii() else pattern):
            request.extensions.update(extensions)
    request.extensions.update("." + match[1].lower() for match in reader.take_all(r"(?<![\w*])\.([A-Za-z0-9]{1,5})\b"))
    for _, pattern in ACTIONS:
        reader.take_all(pattern)
    request.words = leftover_words(reader.rest)
    if request.add_tags == [] and (request.words or request.destination):
        request.add_tags = [request.words[0] if request.words else (request.destination or "").rsplit("/", 1)[-1]]
    return request


def action_of(text: str) -> Action:
    for action, pattern in ACTIONS:
        if re.search(pattern, text, re.IGNORECASE):
            return action
    raise RagkbError(
        "the offline rules do not understand this instruction; say what to do (move, copy, rename, delete, tag; "
        "移动, 复制, 重命名, 删除, 打标签) and which files, or plan with an LLM (--planner openai:MODEL)"
    )


def read_rename(reader: Reader, request: Request) -> None:
    if request.action != "rename":
        return
    if reader.take(
        r"(?:按|根据|依据|用|\bby\b|\bwith\b|\busing\b)\s*(?:(?:their|its|the)\s+)?(?:签订|签署|签约|签字|signing|signature|signed)\s*(?:日期|时间|date)?"
    ):
        request.rename_by = "signing_date"
    elif reader.take(
        r"(?:按|根据|依据|用|\bby\b|\bwith\b|\busing\b)\s*(?:(?:their|its|the)\s+)?(?:last\s+)?(?:修改|更新|modification|modified|mtime)\s*(?:日期|时间|date|time)?"
    ):
        request.rename_by = "modified_date"
    elif pair := reader.take(r"\*(\.[\w]+)\s*(?:重命名|改名)?\s*(?:\bto\b|\bas\b|为|成|->|→)\s*\*(\.[\w]+)"):
        request.rename_by, request.rename_to = "extension", pair[2].lower()
        request.extensions.add(pair[1].lower())
    elif prefix := reader.take(rf"(?:加上?|添加|\badd(?:\s+the)?)\s*(?:前缀|prefix)\s*{NAME}{SEP}"):
        request.rename_by, request.rename_to = "prefix", prefix[1]


def read_tags(reader: Reader, request: Request) -> None:
    tagged = reader.take(rf"(?:标签|标记)(?:为|是)\s*{NAME}\s*的") or reader.take(rf"带有?\s*{NAME}\s*标签的")
    tagged = tagged or reader.take(r"\b(?:tagged|labell?ed)\s+(?:as\s+|with\s+)?[\"']?([\w\-\u3400-\u9fff]+)[\"']?")
    request.tagged = tagged[1] if tagged else None
    named = reader.take(rf"(?:打上|加上|添加|加|打)\s*标签\s*[:：]?\s*{NAME}{SEP}") or reader.take(
        rf"(?:标记|标注)为\s*{NAME}{SEP}"
    )
    if named:
        request.add_tags = [named[1]]
    elif reader.take(r"(?:打上|加上|添加|加|打)\s*标签|\b(?:tag|label)\b(?:\s+(?:them|it|each|all))?"):
        named = reader.take(r"\b(?:as|with)\s+[\"']?([\w\-\u3400-\u9fff]+)[\"']?")
        request.add_tags = [named[1]] if named else []


def period(year: str, month: str | None, day: str | None) -> tuple[datetime, datetime]:
    """The start and the end of a year, a month or a day (UTC)."""
    start = datetime(int(year), int(month or 1), int(day or 1), tzinfo=timezone.utc)
    if day:
        return start, start + timedelta(days=1)
    if month:
        return start, datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=timezone.utc)
    return start, datetime(start.year + 1, 1, 1, tzinfo=timezone.utc)


def read_dates(reader: Reader, request: Request, now: datetime) -> None:
    """Modification dates: a year, month or day with before/after/in, or an age in days to years."""
    if zh := reader.take(r"(\d{4})\s*年(?:\s*(\d{1,2})\s*月)?(?:\s*(\d{1,2})\s*[日号])?\s*(以前|之前|前|以后|之后|后|的)?"):
        word, (start, end) = zh[4] or "in", period(zh[1], zh[2], zh[3])
    elif en := reader.take(r"\b(before|after|since|in|during)\s+(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?\b"):
        word, (start, end) = en[1].lower(), period(en[2], en[3], en[4])
    else:
        word, start, end = "", now, now
    if word in ("以前", "之前", "前", "before"):
        request.before = start
    elif word in ("以后", "之后", "后", "after"):
        request.after = end
    elif word == "since":
        request.after = start
    elif word:
        request.after, request.before = start, end
    unit = r"(天|日|周|星期|个月|月|年|days?|weeks?|months?|years?)"
    older = reader.take(rf"(?<!\d)(\d{{1,3}})\s*{unit}\s*(?:以前|之前|前)") or reader.take(
        rf"\b(?:older than|more than|over|not (?:modified|changed|touched|opened) (?:in|for)(?: the)?(?: (?:last|past))?)\s+(\d+)\s*{unit}(?:\s+old)?"
    )
    if older:
        request.before = now - timedelta(days=int(older[1]) * SPANS[older[2].lower().rstrip("s")])
    newer = reader.take(rf"(?:最近|近)\s*(\d+)\s*{unit}") or reader.take(
        rf"\b(?:newer than|less than|(?:with)?in the (?:last|past)|within)\s+(\d+)\s*{unit}(?:\s+old)?"
    )
    if newer:
        request.after = now - timedelta(days=int(newer[1]) * SPANS[newer[2].lower().rstrip("s")])


def read_sizes(reader: Reader, request: Request) -> None:
    unit = r"(kb|mb|gb|tb|k|m|g|t|b|bytes?|字节|兆)?\b"
    if larger := reader.take(
        rf"(?:大于|超过|多于|高于|larger than|bigger than|greater than|more than|over|above|>)\s*(\d+(?:\.\d+)?)\s*{unit}"
    ):
        request.min_size = int(float(larger[1]) * UNITS[(larger[2] or "b").lower()]) + 1
    if smaller := reader.take(rf"(?:小于|少于|低于|不到|不足|smaller than|less than|under|below|<)\s*(\d+(?:\.\d+)?)\s*{unit}"):
        request.max_size = int(float(smaller[1]) * UNITS[(smaller[2] or "b").lower()]) - 1
    if reader.take(r"空文件|空的文件|\bempty\b|\bzero[- ]byte\b"):
        request.max_size = 0


def leftover_words(rest: str) -> list[str]:
    """The words no rule took, less filler: Chinese runs split at filler words, English words in the singular."""
    words: list[str] = []
    for token in re.findall(r"[\u3400-\u9fff]+|[A-Za-z][\w\-]*", rest):
        if token.isascii():
            word = token.lower()
            if word in EN_FILLER:
                continue
            if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
                word = word[:-3] + "y" if word.endswith("ies") else word[:-1]
            words.append(word)
        else:
            pieces = [token]
            for filler in ZH_FILLER:
                pieces = [part for piece in pieces for part in piece.split(filler)]
            words += [piece for piece in pieces if piece]
    return list(dict.fromkeys(words))
