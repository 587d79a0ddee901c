"""English: the reference catalog, and the fallback for every language we lack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MESSAGES: Final[Mapping[str, str]] = {
    # the survey: the page asks plainly, the email greets the person first
    "nps.question": "How likely are you to recommend {product} to a friend or colleague?",
    "nps.email_question": (
        "Hi {name}, how likely are you to recommend {product} to a friend or colleague?"
    ),
    "nps.low": "Not at all likely",
    "nps.high": "Extremely likely",
    "csat.question": "How satisfied are you with {product}?",
    "csat.email_question": "Hi {name}, how satisfied are you with {product}?",
    "csat.low": "Very dissatisfied",
    "csat.high": "Very satisfied",
    "ces.question": "How easy was it to get what you needed from {product}?",
    "ces.email_question": "Hi {name}, how easy was it to get what you needed from {product}?",
    "ces.low": "Very difficult",
    "ces.high": "Very easy",
    "follow_up.question": "What is the main reason for your score?",
    # the email
    "email.subject": "A quick question about {product}",
    "email.pick_a_number": (
        "Click the number that fits best ({low_score} = {low}, {high_score} = {high}):"
    ),
    "email.one_click": (
        "One click records your answer; the page that opens lets you add a comment if you like."
    ),
    "email.why_you_got_this": (
        "You received this email because {sender} asks its customers for feedback."
    ),
    "email.unsubscribe": "Unsubscribe",
    "email.unsubscribe_in_one_click": "Unsubscribe with one click:",
    # the follow-up page
    "follow_up.you_answered": "Thanks! You answered {score}.",
    "follow_up.you_answered_named": "Thanks, {name}! You answered {score}.",
    "follow_up.your_score": "Your score",
    "follow_up.your_score_changeable": "Your score (you can change it)",
    "follow_up.comment_hint": "Optional, up to {limit} characters.",
    "follow_up.send_answer": "Send my answer",
    "follow_up.send": "Send",
    "follow_up.changeable_until": "You can change your answer until {date}.",
    "follow_up.score_error": "Please choose a score from {low_score} to {high_score}.",
    "follow_up.comment_too_long": (
        "Your comment is longer than {limit} characters. Please shorten it: your text is "
        "still here."
    ),
    "follow_up.comment_unreadable": (
        "Your comment contains a character we cannot save. Please remove it and send again."
    ),
    # the follow-up page once the answer is final
    "answered.you_answered": "Thanks! You answered {score} on {date}.",
    "answered.you_answered_named": "Thanks, {name}! You answered {score} on {date}.",
    "answered.final": (
        "This answer is now final and can no longer be changed. Thank you for your time."
    ),
    # the thank-you page
    "thanks.title": "Thank you",
    "thanks.heading": "Thank you!",
    "thanks.heading_named": "Thank you, {name}!",
    "thanks.your_answer": "We have your answer:",
    "thanks.message": "Your feedback goes straight to the people who can act on it.",
    "thanks.change": "Change your answer",
    "thanks.change_until": "(until {date}).",
    "thanks.not_answered": "You have not answered yet",
    "thanks.answer_now": "Answer the survey",
    # unsubscribing
    "unsubscribe.title": "Unsubscribe from surveys?",
    "unsubscribe.consequence": "You will no longer receive surveys from {workspace}.",
    "unsubscribe.button": "Unsubscribe",
    "unsubscribed.title": "You are unsubscribed",
    "unsubscribed.no_more": "You will not receive any more surveys from {workspace}.",
    "unsubscribed.thanks": "Thank you for the answers you gave us.",
    # when something is wrong
    "error.expired.title": "This link has expired",
    "error.expired.detail": (
        "Survey links work for a limited time. Please use the link from your most recent "
        "survey email."
    ),
    "error.invalid_link.title": "This link is not valid",
    "error.invalid_link.detail": (
        "It may have been cut short when it was copied. Please use the link from your most "
        "recent survey email."
    ),
    "error.not_found.title": "We could not find this survey",
    "error.not_found.detail": "It may have been withdrawn. Thank you for your time all the same.",
    "error.closed.title": "This survey is closed",
    "error.closed.detail": (
        "It is no longer open for answers. Thank you for your time all the same."
    ),
    "error.final.title": "Your answer is final",
    "error.final.detail": (
        "You have already answered, and the answer can no longer be changed. Thank you for "
        "your time."
    ),
    "error.bad_score.detail": (
        "This link does not carry a score we can record. Please click one of the numbers in "
        "the email."
    ),
    "error.bad_request.title": "Something is not right",
    "error.bad_request.detail": "The form could not be read. Please try again.",
    "error.unexpected.title": "Something went wrong",
    "error.unexpected.detail": "Please try again in a moment.",
    # every page
    "page.powered_by": "Powered by closeloop",
    # dates ("3 March 2026") and numbers ("5,000")
    "date.format": "{day} {month} {year}",
    "date.first_day": "1",
    "month.1": "January",
    "month.2": "February",
    "month.3": "March",
    "month.4": "April",
    "month.5": "May",
    "month.6": "June",
    "month.7": "July",
    "month.8": "August",
    "month.9": "September",
    "month.10": "October",
    "month.11": "November",
    "month.12": "December",
    "number.group_separator": ",",
}
