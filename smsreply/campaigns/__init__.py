"""Campaigns: one message to many recipients, checked before anything is sent, then sent
progressively by the work engine, and watched as the replies come in.

``reading`` turns a CSV document or a JSON list into lines; ``accepting`` checks every
line, reserves the credits and stores the campaign (or, for a preview, rolls it all
back); ``sender`` is the work engine's campaign step (paced hand-over of recipients to
their own conversations); ``report`` and ``chart`` show how it goes.
"""
