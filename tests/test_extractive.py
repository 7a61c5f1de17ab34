"""The extractive answerer over a real KB of samples/ (SQLite, BM25): the fewest sentences that
answer, one [n] after each, sentences split as a reader splits them, table cells with their labels,
no refusal where a passage answers and a refusal where none does."""

from __future__ import annotations

import re

import pytest
from support import samples_kb

from ragkb.answer.answering import Answerer
from ragkb.answer.citations import resolve
from ragkb.answer.relevance import relevant
from ragkb.answer.sentences import blocks, split_sentences


@pytest.fixture(scope="module")
def answerer(tmp_path_factory):
    return Answerer(samples_kb(tmp_path_factory.mktemp("home")), "extractive")


def markers(text: str) -> list[str]:
    return re.findall(r"\[\d+\]", text)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Use e.g. a paperclip. Then wait.", ["Use e.g. a paperclip.", "Then wait."]),
        ("It costs 3.5 USD, i.e. little. Mr. Smith agrees.", ["It costs 3.5 USD, i.e. little.", "Mr. Smith agrees."]),
        ("Update to 3.2.0. Then restart at 192.168.8.1 now.", ["Update to 3.2.0.", "Then restart at 192.168.8.1 now."]),
        ("Call ext. 5100 or see No. 5 below. Done.", ["Call ext. 5100 or see No. 5 below.", "Done."]),
        (
            "Pears, plums, etc. are fruit. We sell them, etc. The end.",
            ["Pears, plums, etc. are fruit.", "We sell them, etc.", "The end."],
        ),
        ("1. Open the link. It is valid for 48 hours.", ["1. Open the link.", "It is valid for 48 hours."]),
        ("Sessions end after 12 hours; sign in again.", ["Sessions end after 12 hours; sign in again."]),
        (
            "第十三条 30日内提交。第十四条 逾期的，不予报销！可以吗？",
            ["第十三条 30日内提交。", "第十四条 逾期的，不予报销！", "可以吗？"],
        ),
        ("It ends here. [1][2] Next one. [3]", ["It ends here. [1][2]", "Next one. [3]"]),
    ],
)
def test_sentences_know_abbreviations_numbers_list_items_and_chinese(text, sentences):
    assert split_sentences(text) == sentences


def test_wrapped_lines_join_list_items_stay_items_with_their_introduction():
    text = (
        "Things to know:\n- Error `AUTH-403` means your account is not in the VPN group yet. New accounts are added\n"
        "  automatically within 4 hours.\n- Sessions end after 12 hours.\nNX-3000 router\n12 V / 2 A power adapter"
    )
    parts = blocks(text)
    assert [b.kind for b in parts] == ["paragraph", "item", "item", "paragraph", "paragraph"]
    assert parts[1].text.endswith("New accounts are added automatically within 4 hours.") and parts[1].intro == "Things to know:"
    assert parts[3].text == "NX-3000 router"  # short lines without punctuation are a list, not one wrapped sentence


def test_what_to_do_about_an_error_is_answered_with_the_instruction_one_marker_each(answerer):
    answer = answerer.ask("What should I do if the VPN says AUTH-403?")
    assert not answer.refused
    assert "not in the VPN group" in answer.answer and "contact the IT Help Desk" in answer.answer
    assert markers(answer.answer) == ["[1]", "[1]"] and "Things to know" not in answer.answer
    for sentence in split_sentences(answer.answer):  # every marker ends a sentence
        assert re.fullmatch(r".*[.!?。！？] \[\d+\]", sentence), sentence


def test_a_simple_question_gets_one_sentence(answerer):
    answer = answerer.ask("What does AUTH-403 mean?")
    assert answer.answer == "Error `AUTH-403` means your account is not in the VPN group yet. [1]"
    assert "Error `AUTH-403` means your account is not in the VPN group yet." in answer.citations[0].quote


def test_a_table_row_answers_with_the_asked_cell_and_its_labels(answerer):
    chinese = answerer.ask("经理级员工到上海出差，每晚住宿标准是多少？")
    assert "一类城市（北京、上海、广州、深圳），经理级：700 [1]" in chinese.answer
    assert "500" not in chinese.answer and "1000" not in chinese.answer and "|" not in chinese.answer
    english = answerer.ask("What does a solid amber Internet LED mean?")
    assert english.answer.startswith(
        "Internet, Solid amber — Meaning: The WAN cable is connected but there is no Internet access."
    )
    assert "Blinking" not in english.answer


def test_a_row_label_that_is_a_range_holds_the_asked_number(answerer):
    answer = answerer.ask("累计工作满12年的员工每年有多少天年假？")
    assert answer.answer.startswith("满10年不满20年") and "13天" in answer.answer


def test_a_heading_that_holds_what_is_asked_comes_with_the_quote(answerer):
    answer = answerer.ask("Which firmware version fixed 5 GHz clients being disconnected?")
    assert answer.answer.startswith("1. Version 3.2.0 (2024-05-14): Fixed an issue where 5 GHz clients")


def test_each_part_of_a_question_that_asks_two_things_is_answered(answerer):
    answer = answerer.ask("出国出差回来后多久内要提交报销？境外住宿标准是多少？")
    assert "45日内" in answer.answer and "200美元" in answer.answer
    english = answerer.ask("How do I report a security vulnerability, and how fast will Nebula respond?")
    assert "psirt@nebulanetworks.example" in english.answer and "3 business days" in english.answer


def test_an_faq_answer_follows_its_question_and_yes_is_not_quoted_alone(answerer):
    answer = answerer.ask("Do you pay for vulnerability reports?")
    assert answer.answer.startswith("Yes. Valid reports of qualifying vulnerabilities are rewarded")


def test_the_kind_of_thing_asked_for_must_be_in_the_quote(answerer):
    answer = answerer.ask("报销差旅费需要提交哪些材料？")
    assert answer.answer.startswith("第十五条 办理差旅报销须提交以下材料：（一）已审批通过的《出差申请单》")
    assert "第一条" not in answer.answer and len(markers(answer.answer)) == 1


def test_interrogative_words_do_not_refuse_a_question_a_passage_answers(answerer):
    answer = answerer.ask("婚假有几天？")  # 几天 is nowhere in the KB; 婚假 is
    assert not answer.refused and "婚假10天" in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "What is the maximum Wi-Fi range of the NX-5000 outdoor model?",
        "公司食堂的营业时间是几点到几点？",
        "How many parking spaces does the headquarters have?",
    ],
)
def test_a_question_the_kb_cannot_answer_is_refused(answerer, question):
    assert answerer.ask(question).refused


def test_a_hit_without_the_named_identifier_is_not_relevant(answerer):
    kb = answerer.kb
    hit = kb.search("NX-3000 AX3000 dual-band Wi-Fi 6 model")[0]
    assert "NX-3000" in hit.text
    asked = "What is the Wi-Fi range of the NX-5000 model?"
    assert not relevant(asked, hit, kb.term_weights(asked), kb.embedder_languages)
    same = "Which Wi-Fi standard does the NX-3000 model support?"
    assert relevant(same, hit, kb.term_weights(same), kb.embedder_languages)


def test_a_quoted_passage_gets_one_marker_not_one_per_sentence(answerer):
    hit = answerer.kb.search("VPN sessions end after 12 hours; sign in again to reconnect")[0]
    quoted = "VPN sessions end after 12 hours; sign in again to reconnect. Only company traffic goes through the VPN (split tunneling); video calls go directly."
    resolved = resolve(f"{quoted} [1]", [hit])
    assert resolved.text == f"{quoted} [1]" and len(resolved.citations) == 1 and not resolved.citations[0].inferred
    unmarked = resolve(quoted, [hit])  # nothing cited: each sentence gets its own
    assert unmarked.text.count("[1]") == 2 and unmarked.citations[0].inferred
