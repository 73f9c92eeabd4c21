"""Opening hours, as a WSGI application: any WSGI framework works (here, Flask).

It receives the same environ and form body as a CGI script; the response body (text/plain)
is the answer, a 204 sends nothing.
"""

from flask import Flask, request

application = Flask(__name__)

HOURS = "Ouvert du lundi au vendredi, 9h-12h et 14h-18h."


@application.post("/")
def answer():
    if "horaire" in request.form.get("message", "").lower():
        return HOURS, 200, {"Content-Type": "text/plain; charset=utf-8"}
    return "", 204
