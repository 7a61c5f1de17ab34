from ragkb.index.language import detect_language
from ragkb.index.tokenize import tokenize


def test_chinese_is_segmented_and_stop_words_dropped():
    tokens = tokenize("报销流程需要哪些材料？")
    assert "报销" in tokens and "流程" in tokens and "材料" in tokens
    assert "哪些" not in tokens and "需要" not in tokens


def test_english_is_stemmed_and_stop_words_dropped():
    assert tokenize("The routers are resetting") == ["router", "reset"]


def test_mixed_text_keeps_both_languages():
    assert tokenize("使用 Docker containers 部署") == ["使用", "docker", "contain", "部署"]


def test_language_detection():
    assert detect_language("差旅费报销应在出差结束后30日内提交") == "zh"
    assert detect_language("Submit travel expenses within 30 days") == "en"
    assert detect_language("如何配置 VPN client") == "zh"
    assert detect_language("1234") == "en"
