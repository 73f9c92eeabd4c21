"""Reply options compiled: keyword rules, the default action, and the notifications.

Beyond OVH's single action, replies can be routed like Kannel's sms-service ``keyword`` /
``aliases`` / ``keyword-regex``: an ordered list of rules, the first that matches wins,
else the default action. A keyword rule matches the reply's first word, case- and
accent-insensitively (``oui``, ``Oui!``, ``OUÍ``); a regex rule is searched in the whole
reply, case-insensitively, in bounded time (``rule_regex``).

Rules are sticky by default: once a rule has routed a reply of a conversation, the
conversation's next replies go to the same rule's action whatever they say ("QUIZ"
starts the quiz, "canberra" is its answer), until the options change and the rule is
gone. ``"sticky": false`` on a rule routes each reply on its own words.

Example::

    plan = ReplyPlan.compile({"action": "none", "rules": [
        {"keyword": "OUI", "aliases": ["YES"], "action": "text", "text": "Confirmé"}]}, resources)
    plan.route("oui merci").type  # "text"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..actions import Action, ActionConfigError, Resources, build_action
from ..errors import ValidationError
from ..text.optout import first_word, fold
from . import checking, rule_regex

RULE_KEYS = {"keyword", "aliases", "regex", "sticky"}
SECTIONS = ("rules", "notifications")


@dataclass(frozen=True)
class Rule:
    words: frozenset[str]
    pattern: rule_regex.regex.Pattern | None
    action: Action
    label: str
    sticky: bool = True

    def matches(self, message: str) -> bool:
        if self.pattern is not None:
            return rule_regex.matches(self.pattern, message)
        return first_word(message) in self.words


@dataclass(frozen=True)
class ReplyPlan:
    default: Action
    rules: tuple[Rule, ...]
    notifications: tuple[dict, ...]
    options: dict  # normalised, as stored

    def route(self, message: str, sticky_label: str | None = None) -> tuple[Action, str | None]:
        """The action for ``message`` and the label of the rule that chose it.

        ``sticky_label`` is the rule that routed the conversation before: when it still
        exists and is sticky, it routes this reply too."""
        if sticky_label is not None:
            for rule in self.rules:
                if rule.label == sticky_label and rule.sticky:
                    return rule.action, rule.label
        for rule in self.rules:
            if rule.matches(message):
                return rule.action, rule.label
        return self.default, None

    @property
    def any_immediate(self) -> bool:
        """Whether some route leads to an action that needs no I/O (``Action.immediate``)."""
        return self.default.immediate or any(rule.action.immediate for rule in self.rules)

    def is_sticky(self, label: str | None) -> bool:
        """Whether the rule ``label`` keeps the conversation's next replies."""
        return any(rule.label == label and rule.sticky for rule in self.rules)

    @classmethod
    def compile(cls, options: object, resources: Resources) -> ReplyPlan:
        """Validate and build; raise ValidationError naming the offending field.

        The shape is ``options.schema``'s; what needs this installation (a script, a
        handler) is each action's ``validate``."""
        parsed = checking.parse(options)
        default = _action({k: v for k, v in options.items() if k not in SECTIONS}, resources, "")
        rules = tuple(
            _rule(index, rule, raw, resources)
            for index, (rule, raw) in enumerate(
                zip(parsed.rules, options.get("rules", []), strict=True)
            )
        )
        notifications = tuple(note.model_dump() for note in parsed.notifications)
        normalised = dict(default.options)
        if rules:
            normalised["rules"] = [
                dict(rule.action.options, **_rule_keys(raw))
                for rule, raw in zip(rules, options["rules"], strict=True)
            ]
        if notifications:
            normalised["notifications"] = list(notifications)
        return cls(default, rules, notifications, normalised)


def check_bounded(plan: ReplyPlan) -> None:
    """Refuse, at save, a regex rule that can run for exponential time (rules already
    saved keep working: each search is cut short by ``rule_regex.SEARCH_TIMEOUT``)."""
    for index, rule in enumerate(plan.rules):
        reason = rule.pattern is not None and rule_regex.unbounded_reason(rule.pattern)
        if reason:
            raise ValidationError(
                f"rules[{index}]: {reason}",
                field="rules",
                key="rule_regex_unbounded",
                location=("rules", index),
            )


def _action(spec: Mapping, resources: Resources, prefix: str, location: tuple = ()) -> Action:
    try:
        return build_action(spec, resources)
    except ActionConfigError as error:
        raise ValidationError.from_cause(error, prefix=prefix, location=location) from None


def _rule_keys(raw: Mapping) -> dict:
    return {key: raw[key] for key in ("keyword", "aliases", "regex", "sticky") if key in raw}


def _rule(index: int, parsed, raw: Mapping, resources: Resources) -> Rule:
    """A rule the schema accepted, built: its action checked here, its words folded."""
    spec = {key: value for key, value in raw.items() if key not in RULE_KEYS}
    action = _action(spec, resources, f"rules[{index}]: ", ("rules", index))
    if parsed.regex is not None:
        pattern = rule_regex.compile_rule(parsed.regex)
        return Rule(frozenset(), pattern, action, f"regex {parsed.regex}", parsed.sticky)
    words = frozenset(fold(word) for word in [parsed.keyword, *(parsed.aliases or [])])
    return Rule(words, None, action, f"keyword {parsed.keyword}", parsed.sticky)
