"""Reply options compiled: keyword rules, the default action, and the notifications.

Beyond OVH's single action, replies can be routed like Kannel's sms-service ``keyword`` /
``aliases`` / ``keyword-regex``: an ordered list of rules, the first that matches wins,
else the default action. A keyword rule matches the reply's first word, case- and
accent-insensitively (``oui``, ``Oui!``, ``OUÍ``); a regex rule is searched in the whole
reply, case-insensitively.

Example::

    plan = ReplyPlan.compile({"action": "none", "rules": [
        {"keyword": "OUI", "aliases": ["YES"], "action": "text", "text": "Confirmé"}]}, resources)
    plan.route("oui merci").type  # "text"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .actions import Action, ActionConfigError, Resources, build_action
from .errors import ValidationError
from .notifications import validate_notifications
from .optout import first_word, fold

MAX_RULES = 50
RULE_KEYS = {"keyword", "aliases", "regex"}
SECTIONS = ("rules", "notifications")


@dataclass(frozen=True)
class Rule:
    words: frozenset[str]
    pattern: re.Pattern | None
    action: Action
    label: str

    def matches(self, message: str) -> bool:
        if self.pattern is not None:
            return self.pattern.search(message) is not None
        return first_word(message) in self.words


@dataclass(frozen=True)
class ReplyPlan:
    default: Action
    rules: tuple[Rule, ...]
    notifications: tuple[dict, ...]
    options: dict  # normalised, as stored

    def route(self, message: str) -> tuple[Action, str | None]:
        """The action for ``message`` and the label of the rule that chose it."""
        for rule in self.rules:
            if rule.matches(message):
                return rule.action, rule.label
        return self.default, None

    @classmethod
    def compile(cls, options: object, resources: Resources) -> ReplyPlan:
        """Validate and build; raise ValidationError naming the offending field."""
        if not isinstance(options, Mapping):
            raise ValidationError(
                "reply options must be a JSON object", field="action", key="options_not_object"
            )
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


def _list(options: Mapping, name: str, limit: int) -> list:
    value = options.get(name, [])
    if not isinstance(value, list) or len(value) > limit:
        raise ValidationError(
            f"{name!r} must be a list of at most {limit} items",
            field=name,
            key="too_many",
            params={"max": limit},
            location=(name,),
        )
    return value


def _action(spec: Mapping, resources: Resources, prefix: str, location: tuple = ()) -> Action:
    try:
        return build_action(spec, resources)
    except ActionConfigError as error:
        raise ValidationError.from_cause(error, prefix=prefix, location=location) from None


def _rule_keys(raw: Mapping) -> dict:
    return {key: raw[key] for key in ("keyword", "aliases", "regex") if key in raw}


def _rule(index: int, raw: object, resources: Resources) -> Rule:
    prefix, location = f"rules[{index}]: ", ("rules", index)

    def invalid(message: str, key: str, **params: object) -> ValidationError:
        return ValidationError(
            prefix + message, field="rules", key=key, params=params, location=location
        )

    if not isinstance(raw, Mapping):
        raise invalid("each rule must be an object", "rule_not_object")
    has_keyword, has_regex = "keyword" in raw, "regex" in raw
    if has_keyword == has_regex:
        raise invalid("give either 'keyword' or 'regex'", "rule_keyword_or_regex")
    spec = {k: v for k, v in raw.items() if k not in RULE_KEYS}
    action = _action(spec, resources, prefix, location)
    if has_regex:
        if "aliases" in raw:
            raise invalid("'aliases' go with 'keyword'", "rule_aliases_with_regex")
        if not isinstance(raw["regex"], str) or not raw["regex"] or len(raw["regex"]) > 200:
            raise invalid("'regex' must be 1 to 200 characters", "rule_regex_length", max=200)
        try:
            pattern = re.compile(raw["regex"], re.IGNORECASE)
        except re.error as error:
            raise invalid(f"invalid regex: {error}", "rule_regex_invalid", problem=error) from None
        return Rule(frozenset(), pattern, action, f"regex {raw['regex']}")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list):
        raise invalid("'aliases' must be a list of words", "rule_aliases_list")
    words = []
    for word in [raw["keyword"], *aliases]:
        if not isinstance(word, str) or not re.fullmatch(r"[a-z0-9]{1,40}", fold(word)):
            raise invalid(
                f"keyword {word!r} must be one word of letters or digits",
                "rule_keyword_word",
                word=word,
            )
        words.append(fold(word))
    return Rule(frozenset(words), None, action, f"keyword {raw['keyword']}")
