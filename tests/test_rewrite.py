"""History-aware rewriting over a real KB of samples/ (SQLite, BM25): each offline rule in Chinese
and English, the new-topic decision, the LLM's rewrite and its fallback, and a conversation that
answers the follow-ups of the issue."""

from __future__ import annotations

import pytest
from support import samples_kb

from ragkb.answer.answering import Answerer
from ragkb.answer.chat import Conversation
from ragkb.answer.rewrite import QueryRewriter, unusable
from ragkb.answer.rewrite_rules import KBTerms, read_follow_up
from ragkb.errors import RagkbError


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return samples_kb(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def rules(kb):
    return QueryRewriter(kb, "rules")


def history(*questions: str) -> list[dict[str, str]]:
    return [m for q in questions for m in ({"role": "user", "content": q}, {"role": "assistant", "content": "…"})]


def rewrite(rewriter: QueryRewriter, *turns: str) -> str:
    return rewriter.rewrite(turns[-1], history(*turns[:-1])).query


@pytest.mark.parametrize(
    ("turns", "query"),
    [
        # ellipsis, nothing to replace: the new word is added to the previous question
        (["差旅报销的时限是多久？", "那出国呢？"], "出国差旅报销的时限是多久？"),
        # ellipsis replacing a word the KB lists beside it (a table header, an enumeration)
        (["经理级员工到上海出差，每晚住宿标准是多少？", "总监呢？"], "总监员工到上海出差，每晚住宿标准是多少？"),
        (["经理级员工到上海出差，每晚住宿标准是多少？", "那深圳呢？"], "经理级员工到深圳出差，每晚住宿标准是多少？"),
        (["经理级员工到上海出差，每晚住宿标准是多少？", "如果是三类城市呢？"], "经理级员工到三类城市出差，每晚住宿标准是多少？"),
        # the same number unit, the same head word
        (["累计工作满12年的员工每年有多少天年假？", "满20年呢？"], "累计工作满20年的员工每年有多少天年假？"),
        (["婚假有几天？", "那产假呢？"], "产假有几天？"),
        # a new attribute of the previous topic
        (["差旅报销的时限是多久？", "那住宿标准呢？"], "差旅报销的住宿标准是什么？"),
        # a pronoun, and a short question that leans on the previous topic
        (["办公账号密码有什么要求？", "它多久要更换一次？"], "办公账号密码多久要更换一次？"),
        (["陪产假有几天？", "要在多久内休完？"], "陪产假要在多久内休完？"),
        (["出国出差回来后多久内要提交报销？", "需要附什么材料？"], "出国出差回来提交报销需要附什么材料？"),
        # English: the noun phrase, the preposition, values the KB lists in one table column
        (["How do I reset the router?", "And the modem?"], "How do I reset the modem?"),
        (["What is the username for the web interface?", "And for the VPN?"], "What is the username for the VPN?"),
        (
            ["What does a solid amber Internet LED mean?", "What about blinking blue Wi-Fi?"],
            "What does a blinking blue Wi-Fi LED mean?",
        ),
        (
            ["My router runs firmware 2.9. Can I upgrade to 3.2.0?", "And 3.1.4?"],
            "My router runs firmware 2.9. Can I upgrade to 3.1.4?",
        ),
        # English pronouns: the action of a how-to question, the thing asked about
        (["How do I reset the router?", "How long does it take?"], "How long does it take to reset the router?"),
        (["How do I set up MFA?", "Is it mandatory?"], "Is MFA mandatory?"),
        (["Where do I pick up my laptop?", "What if it is lost?"], "What if my laptop is lost?"),
        (["How do I report a security vulnerability?", "Is there a bounty?"], "Is there a bounty for a security vulnerability?"),
        (["What did firmware 3.0.6 fix?", "When was it released?"], "When was firmware 3.0.6 released?"),
        (["Who do I contact about payroll?", "And about expense claims?"], "Who do I contact about expense claims?"),
        # a demonstrative points at a statement: the previous question comes with it
        (["Can I upgrade straight to 3.2.0?", "Why is that needed?"], "Why is that needed (upgrade straight to 3.2.0)?"),
        (["出差市内交通费每天上限是多少？", "往返机场的费用算在里面吗？"], "往返机场的费用算在出差市内交通费吗？"),
        (["事假有工资吗？", "每年最多能请多少天？"], "事假每年最多能请多少天？"),
    ],
)
def test_follow_ups_are_made_standalone(rules, turns, query):
    assert rewrite(rules, *turns) == query


@pytest.mark.parametrize(
    "turns",
    [
        ["差旅报销的时限是多久？", "那出国呢？", "VPN的服务器地址是什么？"],
        ["How do I set up MFA?", "What is the VPN server address?"],
        ["How do I reset the router?", "Does the router ship with a default password?"],
        ["差旅报销的时限是多久？", "婚假有几天？"],
        ["How do I set up MFA?", "What is the CEO's salary?"],  # a word the KB lacks: nothing to carry
        ["How long is the warranty on the NX-3000?", "Is it possible to change the Wi-Fi password on the router?"],
    ],
)
def test_a_new_topic_is_searched_as_asked(rules, turns):
    result = rules.rewrite(turns[-1], history(*turns[:-1]))
    assert result.query == turns[-1] and result.method == "as asked", result.reason


def test_the_signals_of_a_follow_up(kb):
    assert read_follow_up("那出国呢？").ellipsis and read_follow_up("那出国呢？").core == "出国"
    assert read_follow_up("And the modem?").ellipsis and not read_follow_up("What if it is lost?").ellipsis
    assert read_follow_up("它多久要更换一次？").pronoun == "它" and read_follow_up("Is it mandatory?").pronoun == "it"
    assert read_follow_up("那出国的时限是多久？").connective and not read_follow_up("那出国的时限是多久？").ellipsis
    terms = KBTerms(kb)
    assert terms.known("婚假") and not terms.known("食堂")
    assert terms.parallel("经理级", "总监") and terms.parallel("上海", "深圳") and terms.parallel("Solid", "Blinking")
    assert not terms.parallel("router", "modem") and not terms.parallel("VPN", "婚假")
    assert terms.together(["材料"], {"报销"}) and not terms.together(["婚假"], {"vpn"})


def test_no_rewrite_and_the_previous_question_modes(kb):
    turns = ["差旅报销的时限是多久？", "那出国呢？"]
    assert rewrite(QueryRewriter(kb, "none"), *turns) == "那出国呢？"
    assert rewrite(QueryRewriter(kb, "previous"), *turns) == "差旅报销的时限是多久？ 那出国呢？"
    with pytest.raises(RagkbError, match="give none, previous, rules, auto or an LLM"):
        QueryRewriter(kb, "extractive")


class ScriptedModel:
    """A generator that answers every prompt with one text (the rewriter needs only these two members)."""

    languages = frozenset({"en"})

    def __init__(self, reply: str):
        self.reply = reply
        self.prompts: list[str] = []

    def stream(self, messages, max_tokens, temperature=0.0):
        self.prompts.append(messages[-1]["content"])
        yield self.reply


def test_an_llm_rewrite_is_used_when_usable_and_the_rules_otherwise(kb):
    turns = ["How do I reset the router?", "And the modem?"]
    good = ScriptedModel("Standalone question: How do I reset my modem?")
    used = QueryRewriter(kb, "auto", good).rewrite(turns[-1], history(*turns[:-1]))
    assert (used.query, used.method) == ("How do I reset my modem?", "llm")
    assert "user: How do I reset the router?" in good.prompts[0] and "Last question: And the modem?" in good.prompts[0]
    for reply, why in [
        ("", "empty"),
        ("如何重置调制解调器？", "another language"),
        ("How do I reset the router?", "it drops the question's own words"),
        ("How do I reset the modem on my Samsung refrigerator quickly?", "it adds words the conversation does not have"),
        ("user: How do I reset the router? assistant: Press RESET", "it repeats the conversation"),
        ("You can reset the modem.", "not a question"),
    ]:
        fallback = QueryRewriter(kb, "auto", ScriptedModel(reply)).rewrite(turns[-1], history(*turns[:-1]))
        assert (fallback.query, fallback.method) == ("How do I reset the modem?", f"rules (llm: {why})")
    chinese = QueryRewriter(kb, "auto", ScriptedModel("nonsense")).rewrite("那出国呢？", history("差旅报销的时限是多久？"))
    assert chinese.method == "rules"  # the model reads no Chinese: it is not asked
    conversation = ["How do I reset the router?", "And the modem?"]
    assert unusable("How do I reset the modem?", "And the modem?", conversation, conversation) is None


def test_a_conversation_answers_the_follow_ups_of_the_issue(kb):
    chat = Conversation(kb, "trip", Answerer(kb, "extractive"))
    assert "30日内" in chat.ask("差旅报销的时限是多久？").answer
    abroad = chat.ask("那出国呢？")
    assert abroad.query == "出国差旅报销的时限是多久？" and "45日内" in abroad.answer and "30日内" not in abroad.answer
    vpn = chat.ask("What is the VPN server address?")
    assert vpn.query == "What is the VPN server address?" and "vpn.nebulanetworks.example" in vpn.answer
