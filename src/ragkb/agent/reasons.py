"""Why a planner picked a file or could not plan it, in the language of the instruction.

The rules (:mod:`ragkb.agent.rules`) write a reason for every operation and a note for what they did
not plan, and the LLM planner (:mod:`ragkb.agent.llm_planner`) its own reasons and notes; the CLI,
the HTTP API and the web UI show them as they are. A Chinese instruction
("把所有发票 PDF 移到 invoices 目录") gets them in Chinese, any other in English, by the share of
Chinese characters in it (:func:`ragkb.index.language.detect_language`).
"""

from __future__ import annotations

from typing import Literal

from ragkb.index.language import detect_language

Language = Literal["en", "zh"]

PHRASES: dict[str, dict[Language, str]] = {
    "extension": {"en": "a {extension} file", "zh": "{extension} 文件"},
    "pattern": {"en": "name matches {pattern}", "zh": "文件名符合 {pattern}"},
    "size": {"en": "{size:,} bytes", "zh": "{size:,} 字节"},
    "modified": {"en": "modified {day}", "zh": "修改于 {day}"},
    "tagged": {"en": "tagged {tag}", "zh": "标签为 {tag}"},
    "about": {
        "en": "its text is about '{about}' (KB search, score {score:.2f})",
        "zh": "内容关于“{about}”（知识库搜索，得分 {score:.2f}）",
    },
    "named": {"en": "'{word}' in the name", "zh": "文件名含“{word}”"},
    "in_text": {
        "en": "'{word}' in its text (KB search, score {score:.2f})",
        "zh": "内容含“{word}”（知识库搜索，得分 {score:.2f}）",
    },
    "duplicate": {
        "en": "same content as {kept} (sha256 {digest}…), which is kept",
        "zh": "与 {kept} 内容相同（sha256 {digest}…），保留 {kept}",
    },
    "prefix": {"en": "prefix", "zh": "加前缀"},
    "signed": {"en": "signed {day} (its text in the KB)", "zh": "签订于 {day}（据知识库中的文字）"},
    "not_in_kb": {"en": "not in the knowledge base; add it first", "zh": "不在知识库中，请先添加"},
    "no_text": {
        "en": "the knowledge base found no text in it (a scan without a text layer?)",
        "zh": "知识库没有在其中找到文字（没有文字层的扫描件？）",
    },
    "no_signing_date": {"en": "its text names no signing date", "zh": "文中没有签订日期"},
    "slash": {"en": "a new name may not hold /", "zh": "新名称不能含 /"},
    "not_tagged": {"en": "not tagged: the knowledge base cannot index {kind}", "zh": "未打标签：知识库不能索引 {kind}"},
    "no_extension": {"en": "files without an extension", "zh": "没有扩展名的文件"},
    "names_only": {
        "en": "only file names were matched; with --kb the files' text is searched too",
        "zh": "只匹配了文件名；指定知识库（--kb）时也会搜索文件的文字",
    },
    "nothing_matches": {"en": "no file below {root} matches the instruction", "zh": "{root} 下没有符合指令的文件"},
    "not_planned": {"en": "could not plan {count} file(s): {files}", "zh": "有 {count} 个文件未能计划：{files}"},
    "more": {"en": " and {count} more", "zh": " 等，另有 {count} 个"},
    "searched": {"en": "KB search '{query}', score {score:.2f}", "zh": "知识库搜索“{query}”，得分 {score:.2f}"},
    "unfinished": {
        "en": "the model did not finish within {rounds} turns; the plan holds what it planned until then",
        "zh": "模型在 {rounds} 轮内没有完成；计划只含此前计划的操作",
    },
    "write_in": {"en": "English", "zh": "Chinese (简体中文)"},
}


class Reasons:
    """The phrases of one instruction's language: ``say("named", word="发票")``."""

    def __init__(self, instruction: str) -> None:
        self.language: Language = "zh" if detect_language(instruction) == "zh" else "en"

    def say(self, phrase: str, **values: object) -> str:
        return PHRASES[phrase][self.language].format(**values)
