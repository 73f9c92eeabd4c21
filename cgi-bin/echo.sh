#!/bin/sh
# Echo, in POSIX sh: answers with what the recipient wrote.
# The reply is in $X_SMSREPLY_MESSAGE; the raw OVH form is on stdin (CONTENT_LENGTH bytes).
printf 'Content-Type: text/plain; charset=utf-8\n\n'
printf 'Vous avez écrit : %s\n' "$X_SMSREPLY_MESSAGE"
