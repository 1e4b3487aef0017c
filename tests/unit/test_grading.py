"""The quiz engine: answer parsing, per-kind credit, scoring and option shuffling."""
from fractions import Fraction

import pytest

from lms.domain.quiz.grading import (
    AnswerError,
    QuestionKey,
    grade,
    normalize_text,
    option_order,
    parse_answers,
)

ABCD = ("A", "B", "C", "D")


def single(id=1, answer="B"):
    return QuestionKey(id=id, kind="single", option_keys=ABCD, answer=answer, explanation="why")


def multiple(id=2, answer=("A", "C")):
    return QuestionKey(id=id, kind="multiple", option_keys=ABCD, answer=answer)


def true_false(id=3, answer=True):
    return QuestionKey(id=id, kind="true_false", option_keys=(), answer=answer)


def fill_blank(id=4, answer=("季度",)):
    return QuestionKey(id=id, kind="fill_blank", option_keys=(), answer=answer)


def only_result(question, answer, **options):
    answers = {} if answer is None else {question.id: answer}
    return grade([question], answers, **options).results[0]


# single choice

def test_single_right_answer_earns_full_credit():
    result = only_result(single(answer="B"), "B")
    assert (result.correct, result.credit) == (True, 1.0)


def test_single_wrong_answer_earns_nothing():
    result = only_result(single(answer="B"), "A")
    assert (result.correct, result.credit) == (False, 0.0)


def test_unanswered_question_is_wrong_and_given_is_none():
    result = only_result(single(), None)
    assert (result.correct, result.credit, result.given) == (False, 0.0, None)


def test_result_reveals_answer_and_explanation():
    result = only_result(single(answer="B"), "A")
    assert (result.correct_answer, result.explanation) == ("B", "why")


# multiple choice

def test_multiple_exact_set_is_correct():
    assert only_result(multiple(answer=("A", "C")), ("A", "C")).correct


def test_multiple_missing_one_is_wrong_without_partial_credit():
    assert only_result(multiple(answer=("A", "C")), ("A",)).credit == 0.0


def test_multiple_with_an_extra_option_is_wrong_without_partial_credit():
    assert only_result(multiple(answer=("A", "C")), ("A", "B", "C")).credit == 0.0


@pytest.mark.parametrize(
    ("picked", "credit"),
    [
        (("A", "C"), 1.0),       # both right
        (("A",), 0.5),           # one of two right
        (("A", "B"), 0.0),       # one right cancelled by one wrong
        (("A", "B", "C"), 0.5),  # two right minus one wrong, over two
        (("B", "D"), 0.0),       # never below zero
        ((), 0.0),
    ],
)
def test_multiple_partial_credit_is_right_minus_wrong_over_number_right(picked, credit):
    assert only_result(multiple(answer=("A", "C")), picked, partial_credit=True).credit == credit


def test_multiple_partial_credit_below_one_is_not_correct():
    assert not only_result(multiple(answer=("A", "C")), ("A",), partial_credit=True).correct


def test_multiple_public_answer_is_a_json_list():
    assert only_result(multiple(answer=("A", "C")), None).correct_answer == ["A", "C"]


def test_parse_multiple_sorts_and_deduplicates():
    assert parse_answers([multiple()], {"2": ["C", "A", "C"]}) == {2: ("A", "C")}


# true / false

@pytest.mark.parametrize(("given", "correct"), [(True, True), (False, False)])
def test_true_false_with_bools(given, correct):
    assert only_result(true_false(answer=True), given).correct is correct


@pytest.mark.parametrize(("raw", "parsed"), [("true", True), ("false", False), ("True", True)])
def test_true_false_accepts_form_strings(raw, parsed):
    assert parse_answers([true_false()], {"3": raw}) == {3: parsed}


def test_false_is_graded_as_an_answer_not_as_unanswered():
    result = only_result(true_false(answer=False), False)
    assert (result.correct, result.given) == (True, False)


# fill in the blank

@pytest.mark.parametrize(
    "typed",
    [
        "季度",
        "  季度 \t",        # surrounding spaces
        "“季度”。",         # CJK quotes and full stop
        "季 度！",          # inner space and full-width exclamation
    ],
)
def test_fill_blank_ignores_spaces_and_punctuation(typed):
    assert only_result(fill_blank(answer=("季度",)), typed).correct


def test_fill_blank_folds_full_width_characters():
    assert only_result(fill_blank(answer=("3个月",)), "３个月").correct


def test_fill_blank_ignores_case():
    assert only_result(fill_blank(answer=("PDCA",)), "pdca").correct


def test_fill_blank_accepts_any_of_several_answers():
    question = fill_blank(answer=("季度", "一季度", "每季度"))
    assert only_result(question, "每季度").correct


def test_fill_blank_rejects_a_different_word():
    assert not only_result(fill_blank(answer=("季度",)), "月").correct


def test_fill_blank_reveals_first_accepted_answer():
    question = fill_blank(answer=("季度", "一季度"))
    assert only_result(question, "月").correct_answer == "季度"


def test_normalize_text_drops_whitespace_and_punctuation_and_casefolds():
    assert normalize_text(" 《Ａｂ，c》；（d）【e】、f？ ") == "abcdef"


# score

def test_score_rounds_two_of_three_to_67():
    questions = [single(id=1), single(id=2), single(id=3)]
    assert grade(questions, {1: "B", 2: "B", 3: "A"}).score == 67


def test_score_rounds_half_up():
    questions = [single(id=i) for i in range(1, 9)]
    assert grade(questions, {1: "B"}).score == 13  # 12.5


def test_score_rounds_partial_thirds_exactly():
    questions = [multiple(id=i, answer=("A", "B", "C")) for i in range(1, 9)]
    answers = {1: ("A",), 2: ("A", "B"), 3: ("A", "B"), 4: ("A", "B"), 5: ("A", "B")}
    # 1/3 + 4 * 2/3 = 3 of 8 = 37.5, which a float sum would see as 37.4999...
    assert grade(questions, answers, partial_credit=True).score == 38


@pytest.mark.parametrize("count", range(1, 41))
def test_whole_credits_score_as_the_exact_fraction_rounded_half_up(count):
    questions = [single(id=i) for i in range(1, count + 1)]
    for right in range(count + 1):
        answers = {i: "B" if i <= right else "A" for i in range(1, count + 1)}
        exact = Fraction(100 * right, count) + Fraction(1, 2)
        assert grade(questions, answers).score == exact.numerator // exact.denominator


def test_partial_credit_counts_towards_score():
    questions = [single(id=1), multiple(id=2)]
    assert grade(questions, {1: "B", 2: ("A",)}, partial_credit=True).score == 75


def test_quiz_without_questions_scores_100():
    assert grade([], {}).score == 100


def test_score_equal_to_pass_score_passes():
    questions = [single(id=i) for i in range(1, 6)]
    assert grade(questions, {1: "B", 2: "B", 3: "B"}, pass_score=60).passed  # 60


def test_score_below_pass_score_fails():
    questions = [single(id=i) for i in range(1, 6)]
    assert not grade(questions, {1: "B", 2: "B"}, pass_score=60).passed  # 40


def test_unknown_kind_is_rejected():
    essay = QuestionKey(id=9, kind="essay", option_keys=(), answer="")
    with pytest.raises(ValueError, match="essay"):
        grade([essay], {})


# parse_answers

def test_parse_accepts_string_and_int_ids():
    questions = [single(id=1), single(id=2)]
    assert parse_answers(questions, {"1": "A", 2: "B"}) == {1: "A", 2: "B"}


def test_parse_allows_missing_questions():
    assert parse_answers([single(id=1), single(id=2)], {"1": "A"}) == {1: "A"}


def test_parse_treats_null_as_unanswered():
    assert parse_answers([single(id=1), single(id=2)], {"1": "A", "2": None}) == {1: "A"}


@pytest.mark.parametrize("raw_id", ["99", 99, "one", True])
def test_parse_rejects_unknown_question_ids(raw_id):
    with pytest.raises(AnswerError, match="不属于本测验"):
        parse_answers([single(id=1)], {raw_id: "A"})


@pytest.mark.parametrize(
    ("question", "raw"),
    [
        (single(), ["B"]),             # list for single
        (single(), "X"),               # not an option
        (multiple(), "A"),             # string for multiple
        (multiple(), ["A", "X"]),      # one not an option
        (true_false(), 1),             # int is not a bool
        (true_false(), "yes"),
        (fill_blank(), 3),
        (fill_blank(), "季" * 501),    # over-long
    ],
)
def test_parse_rejects_wrong_shapes(question, raw):
    with pytest.raises(AnswerError) as caught:
        parse_answers([question], {str(question.id): raw})
    assert caught.value.question_id == question.id


def test_parse_rejects_the_same_question_given_as_str_and_int():
    with pytest.raises(AnswerError, match="重复作答"):
        parse_answers([single(id=1)], {"1": "A", 1: "B"})


def test_parse_accepts_text_of_exactly_500_characters():
    assert parse_answers([fill_blank()], {"4": "季" * 500}) == {4: "季" * 500}


def test_parse_rejects_answers_that_are_not_a_mapping():
    with pytest.raises(AnswerError):
        parse_answers([single()], ["B"])


# option order

def test_option_order_is_deterministic_per_seed():
    keys = tuple("ABCDEFGH")
    assert option_order(keys, "attempt-7") == option_order(keys, "attempt-7")


def test_option_order_is_a_permutation():
    keys = tuple("ABCDEFGH")
    assert sorted(option_order(keys, "attempt-7")) == list(keys)


def test_option_order_differs_between_seeds():
    keys = tuple("ABCDEFGH")
    orders = {tuple(option_order(keys, f"attempt-{n}")) for n in range(5)}
    assert len(orders) > 1


@pytest.mark.parametrize("given, accepted, right", [
    ("1/2", "1/2", True),
    ("1 / 2", "1/2", True),
    ("１／２", "1/2", True),  # full-width forms fold to the same answer
    ("12", "1/2", False),
    ("1-2", "1/2", False),
    ("1-2", "12", False),
    ("3.14", "314", False),
    ("2026年", "2026年。", True),  # trailing punctuation still does not matter
    ("《党章》", "党章", True),
])
def test_separators_between_digits_are_kept(given, accepted, right):
    assert (normalize_text(given) == normalize_text(accepted)) is right
