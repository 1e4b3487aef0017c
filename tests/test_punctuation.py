"""Chinese UI text uses full-width punctuation (，。：；！？（）): every msgid the UI can show,
extracted the way `make messages` does, and the Chinese string literals of the code (errors,
notifications), which users read too."""
import io
import re
import tokenize
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

ROOT = Path(__file__).resolve().parent.parent
HAN = r"[\u4e00-\u9fff“”]"
# An ASCII mark with a Chinese character on either side; `%(name)s` placeholders and the
# colon of a time (23:59) have none.
ASCII_NEXT_TO_HAN = re.compile(rf"{HAN}[,:;!?()]|(?<!%)[,:;!?(]{HAN}")


def ui_msgids():
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    for filename, lineno, message, _c, _x in extract_from_dir(str(ROOT), method_map,
                                                              options_map, keywords=keywords):
        for text in (message if isinstance(message, tuple) else (message,)):
            if text:
                yield f"{filename}:{lineno}", text


def code_literals():
    """One-line string literals with Chinese in them (docstrings are triple-quoted)."""
    for path in sorted((ROOT / "lms").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            body = token.string.lstrip("rbfuRBFU")
            if (token.type == tokenize.STRING and not body.startswith(('"""', "'''"))
                    and not body.lstrip("\"'").startswith("[")):  # a regex character class
                yield f"{path.relative_to(ROOT)}:{token.start[0]}", token.string


def test_chinese_ui_text_uses_full_width_punctuation():
    found = [f"{where}: {text}" for where, text in [*ui_msgids(), *code_literals()]
             if ASCII_NEXT_TO_HAN.search(text)]
    assert found == [], "ASCII punctuation in Chinese text:\n" + "\n".join(found)


def test_the_check_sees_what_it_should():
    assert ASCII_NEXT_TO_HAN.search("刘洋,您好") and ASCII_NEXT_TO_HAN.search("主讲:%(name)s")
    assert ASCII_NEXT_TO_HAN.search("本单位(%(unit)s)名义")
    assert not ASCII_NEXT_TO_HAN.search("截止 %(t)s") and not ASCII_NEXT_TO_HAN.search("23:59")
    assert not ASCII_NEXT_TO_HAN.search("刘洋，您好（警号）：")
