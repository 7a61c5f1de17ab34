from ragkb.index.language import detect_language, readable_by
from ragkb.index.tokenize import tokenize


def test_chinese_is_segmented_and_stop_words_dropped():
    tokens = tokenize("报销流程需要哪些材料？")
    assert "报销" in tokens and "流程" in tokens and "材料" in tokens
    assert "哪些" not in tokens and "需要" not in tokens


def test_english_is_stemmed_and_stop_words_dropped():
    assert tokenize("The routers are resetting") == ["router", "reset"]


def test_mixed_text_keeps_both_languages():
    assert tokenize("使用 Docker containers 部署") == ["使用", "docker", "contain", "部署"]


def test_every_script_keeps_its_words():
    assert tokenize("Январь, février, Größe") == ["январь", "février", "größe"]
    assert tokenize("जानुवारी ශ්\u200dරී ليبيا") == ["जानुवारी", "ශ්\u200dරී", "ليبيا"]  # marks and joiners stay inside


def test_joined_words_and_currency_signs_are_tokens():
    assert tokenize("os.path.join don't د.ل. 12.5 € ₹") == ["os.path.join", "don't", "د.ل", "12.5", "€", "₹"]


def test_language_detection():
    assert detect_language("差旅费报销应在出差结束后30日内提交") == "zh"
    assert detect_language("Submit travel expenses within 30 days") == "en"
    assert detect_language("如何配置 VPN client") == "zh"
    assert detect_language("1234") == "en"


def test_a_text_is_readable_by_a_model_of_its_language_and_script():
    assert readable_by("Which locale uses ₹ and writes Größe?", {"en"})
    assert not readable_by("the first month is Январь", {"en"})  # a Cyrillic word in an English question
    assert not readable_by("如何配置 VPN client", {"en"}) and readable_by("如何配置 VPN client", {"en", "zh"})
    assert not readable_by("anything", set())
