"""A multi-turn quiz game, as an in-process handler (the fast path: no process per reply).

Send "Quiz ! Répondez JOUER pour commencer." and choose this handler; each reply moves the
game on. The conversation's state (the question number and the score) is kept by
smsreply between replies: ``reply.state`` in, ``{"state": ...}`` out.
"""

import unicodedata

QUESTIONS = [
    ("Quelle est la capitale de l'Australie ?", "canberra"),
    ("Combien de côtés a un hexagone ?", "6"),
    ("Quel gaz les plantes absorbent-elles ? (formule)", "co2"),
]


def fold(text):
    text = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in text if c.isalnum())


def handle(reply):
    if not reply.state:
        return {"answer": f"Question 1/{len(QUESTIONS)} : {QUESTIONS[0][0]}", "state": "0:0"}
    number, score = (int(part) for part in reply.state.split(":"))
    correct = fold(reply.message) == QUESTIONS[number][1]
    score += correct
    verdict = "Bonne réponse !" if correct else f"Non, c'était {QUESTIONS[number][1]}."
    number += 1
    if number == len(QUESTIONS):
        return {
            "answer": f"{verdict} Score : {score}/{len(QUESTIONS)}. Merci d'avoir joué !",
            "state": "",
        }
    question = QUESTIONS[number][0]
    return {
        "answer": f"{verdict} Question {number + 1}/{len(QUESTIONS)} : {question}",
        "state": f"{number}:{score}",
    }
