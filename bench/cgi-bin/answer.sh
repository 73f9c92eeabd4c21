#!/bin/sh
# The bench's POSIX sh CGI script: answers with what was written (like cgi-bin/echo.sh).
printf 'Content-Type: text/plain; charset=utf-8\n\n'
printf 'Merci, %s\n' "$X_SMSREPLY_MESSAGE"
