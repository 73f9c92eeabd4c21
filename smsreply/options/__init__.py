"""Reply options: what the owner says should happen to a reply.

``schema`` describes the options once, ``checking`` checks them against it and says its errors
as ours, ``rule_regex`` checks keyword rules' regular expressions, and ``routing`` compiles the
options into the rules, default action and notifications a reply is handled by.
"""
