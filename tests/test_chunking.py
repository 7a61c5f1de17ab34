from ragkb.ingest.chunking import chunk_document
from ragkb.models import Block, ParsedDocument


def doc(*blocks: Block) -> ParsedDocument:
    return ParsedDocument(list(blocks), loader="test")


def test_chunks_never_cross_sections_and_carry_heading_paths():
    document = doc(
        Block("第一章 总则", "heading", 1),
        Block("为规范差旅报销，制定本办法。"),
        Block("第一节 适用范围", "heading", 2),
        Block("本办法适用于全体员工。"),
        Block("第二章 报销", "heading", 1),
        Block("出差结束后三十日内提交报销单。"),
    )
    chunks = chunk_document(document, size=400, overlap=50)
    assert [c.heading_path for c in chunks] == [["第一章 总则"], ["第一章 总则", "第一节 适用范围"], ["第二章 报销"]]
    assert chunks[2].text == "出差结束后三十日内提交报销单。"


def test_long_chinese_text_splits_at_sentence_ends_within_size_with_overlap():
    sentences = [f"第{i}句话讲的是报销制度的第{i}个要点。" for i in range(40)]
    document = doc(Block("".join(sentences)))
    chunks = chunk_document(document, size=100, overlap=30)
    assert len(chunks) > 5
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    # neighbours share the last sentence of the previous chunk
    assert chunks[1].text.startswith(chunks[0].text.split("。")[-2] + "。")


def test_spans_point_into_the_document_text():
    document = doc(Block("Intro", "heading", 1), Block("Alpha beta gamma. " * 30), Block("Second paragraph here."))
    for chunk in chunk_document(document, size=120, overlap=20):
        assert document.text[chunk.char_start : chunk.char_end].strip().startswith(chunk.text[:20])


def test_tables_are_split_only_between_rows_and_repeat_the_header():
    rows = "\n".join(f"| city {i} | {i * 100} |" for i in range(60))
    table = Block("| 城市 | 标准 |\n|---|---|\n" + rows, "table")
    chunks = chunk_document(doc(table), size=200, overlap=50)
    assert len(chunks) > 1
    seen = []
    for chunk in chunks:
        lines = chunk.text.split("\n")
        assert lines[:2] == ["| 城市 | 标准 |", "|---|---|"]
        assert all(line.startswith("| city ") and line.endswith("|") for line in lines[2:])
        seen.extend(lines[2:])
    assert seen == rows.split("\n")  # every row exactly once, in order


def test_small_table_stays_whole_in_one_chunk():
    table = Block("| a | b |\n|---|---|\n| 1 | 2 |", "table")
    chunks = chunk_document(doc(Block("Before."), table, Block("After.")), size=400, overlap=50)
    assert len(chunks) == 1 and "| 1 | 2 |" in chunks[0].text


def test_page_numbers_follow_the_first_block():
    chunks = chunk_document(doc(Block("page one text", page=1), Block("x " * 300, page=2)), size=100, overlap=0)
    assert chunks[0].page == 1 and chunks[-1].page == 2
