from __future__ import annotations

from conformance.reporting.text import clip, printable, replay_commands, step_label

from .builders import hostile_failure_scenario


def test_printable_makes_unprintables_visible_and_keeps_text() -> None:
    assert printable("a\tb\nc\r\x00\x1b\x7f\x85\udcff\ufffe é ✓") == "a\tb\nc\r\\x00\\x1b\\x7f\\x85\\udcff\\ufffe é ✓"
    printable("lone \ud800 surrogate").encode("utf-8")  # no UnicodeEncodeError


def test_clip_says_how_much_was_cut() -> None:
    assert clip("abcdef", 10) == "abcdef"
    assert clip("abcdef", 2) == "ab… [4 more characters]"


def test_step_label_does_not_double_the_word_step() -> None:
    assert step_label("fork") == "step fork"
    assert step_label("step 3 (head)") == "step 3 (head)"


def test_replay_stops_after_the_last_failed_step() -> None:
    transcript = hostile_failure_scenario().transcript
    assert [c.split()[-1] for c in replay_commands(transcript, {"fork"})] == \
        ["http://127.0.0.1:4437/v1/stream/s-0", "s-0'"]
    assert len(replay_commands(transcript, {"no-such-step"})) == 3
    assert len(replay_commands(transcript)) == 3
