"""The command line's argparse parser: a usage error is one line naming the command and its
--help, with a did-you-mean for a misspelt flag or choice, a misspelt flag's value that
argparse handed to a positional ('demo --epoch 100') named as the flag's, and the
comma-separated form for a list's numbers split by spaces ('--x 0.7 -1.2').
"""

from __future__ import annotations

import argparse
import re
import sys

__all__ = ["Parser"]


_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")
_NEGATIVE_VALUE = re.compile(r"^-(\.?\d|inf|nan)", re.IGNORECASE)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, 'backprop COMMAND: error: …', exit status 2.

    (argparse itself prints the whole usage block first; the one line points to --help.)
    A word that starts with '-' and then a digit, '.digit', 'inf' or 'nan' is a value, not
    an option: '--x -1,2', '--x -2e3', '--x -.5' (argparse alone knows only -1 and -1.5).
    """

    def __init__(self, *args, **kwargs) -> None:
        # no prefix abbreviations: '--layer' for '--layers' would silently change meaning the
        # day a flag starting the same way is added; a near miss gets a did-you-mean instead
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUE  # argparse reads this attribute

    def parse_known_args(self, args=None, namespace=None):
        # the words this parser reads, for error(): a misspelt flag before a positional
        self._words = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def _stray_flag(self, value: str) -> list[str] | None:
        """[flag, value] when ``value`` (refused by a positional's choices) follows a flag
        this command does not know: 'demo --epoch 100' misspelt --epochs, and argparse,
        not knowing --epoch takes a value, gave 100 to the positional."""
        words = getattr(self, "_words", [])
        for i, word in enumerate(words[1:], 1):
            flag = words[i - 1]
            known = flag in self._option_string_actions
            if word == value and flag.startswith("-") and "=" not in flag and not known:
                return [flag, value]
        return None

    def _numbers_split(self, extra: list[str]) -> tuple[str, str] | None:
        """(flag, its value joined with ``extra``) when ``extra`` are numbers that followed
        the numbers of a flag that takes a comma-separated list, with spaces instead of
        commas ('--x 0.7 -1.2', '--hidden 8 8')."""
        words = getattr(self, "_words", [])
        if not extra or not all(_is_number(w) for w in extra):
            return None
        for i in range(2, len(words) - len(extra) + 1):
            flag, value = words[i - 2], words[i - 1]
            action = self._option_string_actions.get(flag)
            listed = getattr(getattr(action, "type", None), "__name__", "").endswith("_list")
            numbers = all(_is_number(v) for v in value.split(","))
            if words[i : i + len(extra)] == extra and listed and numbers:
                return flag, ",".join([value, *extra])
        return None

    def unrecognized(self, extra: list[str]):
        """A usage error for words this command does not take, with the nearest flag."""
        from ..errors import did_you_mean

        numbers = self._numbers_split(extra)
        if numbers is not None:  # '--x 0.7 -1.2': one sample's numbers go in one word
            flag, joined = numbers
            self.error(
                f"unrecognized arguments: {' '.join(extra)}. {flag} takes one word, its "
                f"numbers comma-separated: {flag} {joined}"
            )
        flags = [o for o in self._option_string_actions if o.startswith("--")]
        first = next((w for w in extra if w.startswith("-")), None)
        from ..spec.synonyms import flag_hint  # --learning-rate: --lr (a synonym, not a typo)

        hint = "" if first is None else flag_hint(first, flags)
        hint = hint or ("" if first is None else self._role_hint(first, flags))
        field_hint = getattr(self, "field_hint", None)  # a command's own (sweep: --grid)
        if not hint and first is not None and field_hint is not None:
            hint = field_hint(first, extra)
        hint = hint or ("" if first is None else did_you_mean(first.split("=", 1)[0], flags))
        self.error(f"unrecognized arguments: {' '.join(extra)}.{hint}".rstrip("."))

    def _role_hint(self, flag: str, flags: list[str]) -> str:
        """A flag another command uses for what this one names otherwise (``ROLE_FLAGS``):
        sweep writes its results to --db, which compare, train and demo name --out (a
        did-you-mean by spelling suggested --quiet)."""
        name = flag.split("=", 1)[0]
        alt = ROLE_FLAGS.get(name)
        if alt is None or alt[0] not in flags or name in flags:
            return ""
        help_text = " ".join((self._option_string_actions[alt[0]].help or "").split())
        help_text = help_text.split(";")[0].split(" (")[0]
        return (
            f" {self.prog} names its output {alt[0]} ({help_text}): {alt[0]} FILE; {name} is "
            f"{alt[1]}"
        )

    def refuse_empty_paths(self, args) -> None:
        """A ConfigError for a file or folder flag given an empty word (``--output ""``
        printed to the screen, ``--csv ""`` wrote nothing, both silently): ``PATH_FLAGS``."""
        from ..errors import ConfigError

        for action in self._actions:
            flag = next((o for o in action.option_strings if o.startswith("--")), None)
            if flag in PATH_FLAGS and getattr(args, action.dest, None) == "":
                screen = " (or '-' for the screen)" if flag == "--output" else ""
                raise ConfigError(
                    f"{flag} '': an empty word names no file or folder; give a path{screen}, "
                    f"or drop {flag}."
                )

    def error(self, message: str):
        choice = _INVALID_CHOICE.search(message)
        if choice is not None:  # argparse's "invalid choice: 'trian' (choose from ...)"
            from ..errors import did_you_mean

            stray = self._stray_flag(choice.group(1))
            if stray is not None:  # the value of a misspelt flag, not a bad positional
                self.unrecognized(stray)

            hint = did_you_mean(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)))
            message += f".{hint}" if hint else ""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# flags whose value is a file or folder path: an empty one is refused (refuse_empty_paths)
PATH_FLAGS = frozenset(("--output", "--out", "--csv", "--trials-csv", "--db", "--plot",
                        "--backup", "--input", "--resume", "--show"))  # fmt: skip

# a flag -> (the flag a command that lacks it names the same role, whose flag it is)
ROLE_FLAGS = {
    "--out": ("--db", "the run folder of train, demo and compare"),
    "-o": ("--db", "the run folder of train, demo and compare"),
}


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True
