"""Cited answers: extractive, embedded GGUF, OpenAI-compatible and Ollama generators; chat."""

import json
import subprocess

import pytest
from llm_servers import chat_server
from support import write

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.answer.answering import Answerer, echoes_instructions, is_refusal
from ragkb.answer.chat import Conversation
from ragkb.answer.citations import resolve
from ragkb.answer.prompts import build_prompt
from ragkb.answer.stream import TokenEvent, final_answer
from ragkb.errors import RagkbError
from ragkb.models import SearchHit

POLICY_MD = """# Travel policy

## Deadlines

Submit travel expense claims within 30 days after the trip ends. Late claims need approval from a director.

## Receipts

Attach original invoices and the approved travel request to every claim.
"""

POLICY_ZH = """第一章 总则
为规范公司差旅报销管理，制定本办法。
第二章 报销时限
出差人员应在出差结束后三十日内提交报销申请，逾期需部门负责人审批。
第三章 出国出差
出国出差人员应在回国后十五日内提交报销申请，并附护照出入境记录。
"""


@pytest.fixture
def kb(settings, tmp_path):
    docs = tmp_path / "docs"
    write(docs / "policy.md", POLICY_MD)
    write(docs / "差旅报销办法.txt", POLICY_ZH)
    knowledge_base = KnowledgeBase.create("hr", settings=settings)
    knowledge_base.add([docs])
    return knowledge_base


def test_extractive_answer_quotes_and_cites_the_right_section(kb):
    answer = Answerer(kb, "extractive").ask("差旅报销的时限是多久？")
    assert "三十日内" in answer.answer and not answer.refused
    top = answer.citations[0]
    assert top.file.endswith("差旅报销办法.txt") and top.section == ["第二章 报销时限"] and "三十日内" in top.quote
    assert "[1]" in answer.answer


def test_unrelated_question_is_refused_in_its_language(kb):
    english = Answerer(kb, "extractive").ask("Who won the football world cup in 1998?")
    assert english.refused and english.answer == "The knowledge base does not contain this information." and not english.citations
    chinese = Answerer(kb, "extractive").ask("公司食堂几点开门？")
    assert chinese.refused and "知识库中没有" in chinese.answer


def test_embedded_model_answers_with_resolved_citations(kb):
    answerer = Answerer(kb, "llamacpp:smollm2")
    events = list(answerer.stream("What is the deadline for submitting travel expense claims?"))
    streamed, answer = [e.text for e in events if isinstance(e, TokenEvent)], final_answer(events)
    assert answer.citations, answer.answer
    assert all(c.file.endswith("policy.md") for c in answer.citations)
    if answer.generator == "llamacpp:smollm2":
        assert "".join(streamed).strip()  # tokens really streamed from the model
    else:
        assert answer.fallback_from is not None  # the model cited nothing: sources were quoted instead
    assert set(answer.timings) >= {"retrieval", "prompt", "generation"}


def test_tiny_models_see_only_the_sentences_that_cover_the_question(settings, tmp_path):
    handbook = (
        "# Handbook\n\n## Travel\n\nBook hotels through the travel desk. Trains are preferred for trips under four hours. "
        "Breakfast is included in the hotel rate. Submit expense claims within 30 days after the trip ends. "
        "Visas are arranged by the HR office.\n"
    )
    write(tmp_path / "docs" / "handbook.md", handbook)
    kb = KnowledgeBase.create("handbook", settings=settings)
    kb.add([tmp_path / "docs"])
    question = "What is the deadline for submitting expense claims?"
    hits = kb.search(question, k=3)
    tiny = Answerer(kb, "llamacpp:smollm2").prompt(question, question, hits, []).messages[-1]["content"]
    assert "Submit expense claims within 30 days after the trip ends." in tiny
    assert "Breakfast" not in tiny and "Visas" not in tiny
    assert "Breakfast" in build_prompt(question, hits, "en", settings.home, len, budget=4000).messages[-1]["content"]


def test_an_echoed_prompt_is_not_taken_for_a_refusal():
    refusal = "The knowledge base does not contain this information."
    assert is_refusal(refusal, "en") and is_refusal(f'"{refusal}"', "en")
    echoed = f'Rules:\n- If the sources do not contain the answer, reply exactly: "{refusal}"\n- Answer in English.'
    assert not is_refusal(echoed, "en")
    assert is_refusal("知识库中没有找到相关信息。", "zh")


def test_an_answer_that_repeats_its_instructions_is_replaced_by_quoted_sources():
    instructions = "You answer questions about a knowledge base using only the numbered sources below.\nRules:"
    assert echoes_instructions(
        "You answer questions about a knowledge base using only the numbered sources below. [1]", instructions
    )
    assert not echoes_instructions("Claims are due within 30 days [1].", instructions)


def hit(chunk_id: int, text: str, file: str, section: list[str] | None = None) -> SearchHit:
    return SearchHit(chunk_id=chunk_id, score=1.0, text=text, file=file, page=None, section=section or [], ordinal=0)


def test_citations_to_numbers_not_in_the_context_are_dropped():
    hits = [hit(7, "Claims are due within 30 days.", "/d/policy.md", ["Deadlines"])]
    resolved = resolve("Claims are due within 30 days [1][4]. The moon is cheese [9].", hits)
    assert resolved.dropped == 2
    assert [c.number for c in resolved.citations] == [1] and "[4]" not in resolved.text and "[9]" not in resolved.text
    inferred = resolve("Claims are due within 30 days.", hits)
    assert inferred.citations[0].inferred and inferred.text.endswith("[1]")


def test_the_extractive_answerer_writes_no_prompt(settings):
    kb = KnowledgeBase.create("quotes", kb_settings=KBSettings(embedder="none"), settings=settings)
    with pytest.raises(RagkbError, match="writes no prompt"):
        Answerer(kb, "extractive").prompt("question?", "question?", [], [])


def test_prompt_fits_the_token_budget(home):
    hits = [hit(i, "word " * 200, f"/d/{i}.md") for i in range(10)]

    def count(text: str) -> int:
        return len(text.split())

    small = build_prompt("question?", hits, "en", home, count, budget=700)
    large = build_prompt("question?", hits, "en", home, count, budget=5000)
    assert len(small.sources) < len(large.sources) and small.tokens <= 700
    assert "[1] (0.md)" in small.messages[-1]["content"]


def test_prompt_templates_can_be_overridden(home):
    (home / "prompts").mkdir(parents=True)
    (home / "prompts" / "en.system.txt").write_text("CUSTOM SYSTEM PROMPT")
    prompt = build_prompt("q?", [], "en", home, len, budget=1000)
    assert prompt.messages[0]["content"] == "CUSTOM SYSTEM PROMPT"


def test_openai_compatible_server_streams_and_gets_numbered_sources(kb, monkeypatch):
    with chat_server("Claims are due within 30 days after the trip [1].") as (url, requests):
        settings = Settings(home=kb.app_settings.home, openai_base_url=f"{url}/v1", openai_api_key="sk-test")
        kb.app_settings = settings
        events = list(Answerer(kb, "openai:qwen2.5-7b-instruct").stream("When are travel claims due?"))
    streamed, answer = [e.text for e in events if isinstance(e, TokenEvent)], final_answer(events)
    assert len(streamed) > 3 and answer.generator == "openai:qwen2.5-7b-instruct"
    assert answer.citations[0].file.endswith("policy.md") and not answer.citations[0].inferred
    sent = requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer sk-test" and sent["body"]["stream"] is True
    assert "[1] (policy.md, Travel policy > Deadlines)" in sent["body"]["messages"][-1]["content"]


def test_ollama_server_streams(kb):
    with chat_server("出差结束后三十日内提交 [1]。") as (url, requests):
        kb.app_settings = Settings(home=kb.app_settings.home, ollama_url=url)
        answer = Answerer(kb, "ollama:qwen2.5").ask("差旅报销的时限是多久？")
    assert requests[0]["path"] == "/api/chat" and requests[0]["body"]["model"] == "qwen2.5"
    assert answer.citations and answer.citations[0].file.endswith("差旅报销办法.txt")


@pytest.mark.parametrize("status, message", [(401, "RAGKB_OPENAI_API_KEY"), (404, "does not know model 'nosuch'")])
def test_server_errors_say_what_to_set(kb, status, message):
    with chat_server("", status=status) as (url, _):
        kb.app_settings = Settings(home=kb.app_settings.home, openai_base_url=url, openai_api_key="k")
        with pytest.raises(RagkbError, match=message):
            Answerer(kb, "openai:nosuch").ask("When are travel claims due?")


def test_unreachable_server_is_one_clear_error(kb):
    kb.app_settings = Settings(home=kb.app_settings.home, ollama_url="http://127.0.0.1:9")
    with pytest.raises(RagkbError, match="cannot reach the Ollama server"):
        Answerer(kb, "ollama:qwen2.5").ask("When are travel claims due?")


def test_conversation_follow_up_is_rewritten_and_persisted(kb):
    conversation = Conversation(kb, "trip", Answerer(kb, "extractive"))
    first = conversation.ask("差旅报销的时限是多久？")
    assert "三十日" in first.answer
    follow_up = conversation.ask("那出国呢？")
    assert "差旅报销" in follow_up.query and follow_up.query != follow_up.question
    assert "十五日" in follow_up.answer
    reopened = Conversation(KnowledgeBase.open("hr", settings=kb.app_settings), "trip", Answerer(kb, "extractive"))
    assert [m["role"] for m in reopened.history()] == ["user", "assistant", "user", "assistant"]


def test_cli_ask_json_and_chat_history(kb, cli_env):
    result = subprocess.run(
        ["ragkb", "ask", "What must I attach to a travel claim?", "--kb", "hr", "-g", "extractive", "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout)
    assert "invoices" in data["answer"] and data["citations"][0]["section"] == ["Travel policy", "Receipts"]
    assert set(data) >= {"answer", "citations", "retrieved", "timings", "query"}

    chat = subprocess.run(
        ["ragkb", "chat", "--kb", "hr", "--session", "s1", "-g", "extractive", "--json"],
        input="差旅报销的时限是多久？\n那出国呢？\n",
        env=cli_env,
        capture_output=True,
        text=True,
        check=True,
    )
    turns = [json.loads(line) for line in chat.stdout.splitlines()]
    assert len(turns) == 2 and "十五日" in turns[1]["answer"] and turns[1]["query"] != turns[1]["question"]
    history = subprocess.run(
        ["ragkb", "chat", "--kb", "hr", "--session", "s1", "--history", "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        check=True,
    )
    stored = json.loads(history.stdout)
    assert stored["name"] == "s1" and all(m["created_at"].endswith("Z") for m in stored["messages"])
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
