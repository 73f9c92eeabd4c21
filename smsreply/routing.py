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

import re
from collections.abc import Mapping
from dataclasses import dataclass

from . import rule_regex
from .actions import Action, ActionConfigError, Resources, build_action
from .errors import ValidationError
from .notifications import validate_notifications
from .optout import first_word, fold

MAX_RULES = 50
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

    def is_sticky(self, label: str | None) -> bool:
        """Whether the rule ``label`` keeps the conversation's next replies."""
        return any(rule.label == label and rule.sticky for rule in self.rules)

    @classmethod
    def compile(cls, options: object, resources: Resources) -> ReplyPlan:
        """Validate and build; raise ValidationError naming the offending field."""
        if not isinstance(options, Mapping):
            raise ValidationError("reply options must be a JSON object", field="action")
        default = _action({k: v for k, v in options.items() if k not in SECTIONS}, resources, "")
        rules = tuple(
            _rule(index, rule, resources)
            for index, rule in enumerate(_list(options, "rules", MAX_RULES))
        )
        notifications = tuple(validate_notifications(options.get("notifications", [])))
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
            raise ValidationError(f"rules[{index}]: {reason}", field="rules")


def _list(options: Mapping, name: str, limit: int) -> list:
    value = options.get(name, [])
    if not isinstance(value, list) or len(value) > limit:
        raise ValidationError(f"{name!r} must be a list of at most {limit} items", field=name)
    return value


def _action(spec: Mapping, resources: Resources, prefix: str) -> Action:
    try:
        return build_action(spec, resources)
    except ActionConfigError as error:
        raise ValidationError(f"{prefix}{error.message}", field=error.field) from None


def _rule_keys(raw: Mapping) -> dict:
    return {key: raw[key] for key in ("keyword", "aliases", "regex", "sticky") if key in raw}


def _rule(index: int, raw: object, resources: Resources) -> Rule:
    prefix = f"rules[{index}]: "
    if not isinstance(raw, Mapping):
        raise ValidationError(f"{prefix}each rule must be an object", field="rules")
    has_keyword, has_regex = "keyword" in raw, "regex" in raw
    if has_keyword == has_regex:
        raise ValidationError(f"{prefix}give either 'keyword' or 'regex'", field="rules")
    action = _action({k: v for k, v in raw.items() if k not in RULE_KEYS}, resources, prefix)
    sticky = raw.get("sticky", True)
    if not isinstance(sticky, bool):
        raise ValidationError(f"{prefix}'sticky' must be true or false", field="rules")
    if has_regex:
        if "aliases" in raw:
            raise ValidationError(f"{prefix}'aliases' go with 'keyword'", field="rules")
        if not isinstance(raw["regex"], str) or not raw["regex"] or len(raw["regex"]) > 200:
            raise ValidationError(f"{prefix}'regex' must be 1 to 200 characters", field="rules")
        try:
            pattern = rule_regex.compile_rule(raw["regex"])
        except rule_regex.error as error:
            raise ValidationError(f"{prefix}invalid regex: {error}", field="rules") from None
        return Rule(frozenset(), pattern, action, f"regex {raw['regex']}", sticky)
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list):
        raise ValidationError(f"{prefix}'aliases' must be a list of words", field="rules")
    words = []
    for word in [raw["keyword"], *aliases]:
        if not isinstance(word, str) or not re.fullmatch(r"[a-z0-9]{1,40}", fold(word)):
            raise ValidationError(
                f"{prefix}keyword {word!r} must be one word of letters or digits", field="rules"
            )
        words.append(fold(word))
    return Rule(frozenset(words), None, action, f"keyword {raw['keyword']}", sticky)
