"""The model's chat format: control tokens, the Jinja chat template, and the prompt text.

The pipeline in configs/demo.yaml renders the same user text, so what the model
is trained on is exactly what edgenode feeds it.
"""

import json
import random

BOS = "<s>"
ROLE_TOKENS = {"system": "<|system|>", "user": "<|user|>", "assistant": "<|assistant|>"}
END = "<|end|>"  # ends every turn; the model's EOS
CONTROL_TOKENS = [ROLE_TOKENS["system"], ROLE_TOKENS["user"], ROLE_TOKENS["assistant"], END]

# Stored in tokenizer.chat_template; render_chat() below is its Python twin.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

# The whole prompt is one user message (no system message: every token of prompt costs
# compute on every message, in training and at the edge).
USER_FORMAT = ("machine {machine} vibration {vibration} mm/s temperature {temperature} C "
               "current {current} A pressure {pressure} bar trend {trend}")


def format_number(value, rng=None):
    """One decimal like the simulator; a template engine may print 48.0 as 48, so
    training sees both spellings of whole numbers when given an rng."""
    text = f"{value:.1f}"
    if text.endswith(".0") and rng is not None and rng.random() < 0.5:
        return text[:-2]
    return text


def user_text(reading, rng=None):
    fields = dict(reading)
    for quantity in ("vibration", "temperature", "current", "pressure"):
        fields[quantity] = format_number(reading[quantity], rng)
    return USER_FORMAT.format(**fields)


def answer_text(verdict):
    return json.dumps({"status": verdict["status"], "reason": verdict["reason"]},
                      separators=(",", ":"))


def prompt_segments(reading, rng=None):
    """The prompt as (is_control, text) segments, ending with the assistant marker."""
    return [(True, ROLE_TOKENS["user"]), (False, user_text(reading, rng)), (True, END),
            (True, ROLE_TOKENS["assistant"])]


def render_chat(messages, add_generation_prompt):
    out = "".join(f"<|{m['role']}|>{m['content']}<|end|>" for m in messages)
    return out + ("<|assistant|>" if add_generation_prompt else "")


def training_example(row, rng):
    """(prompt segments, answer segments) for one labelled reading."""
    prompt = prompt_segments(row["reading"], rng=rng)
    answer = [(False, answer_text(row["verdict"])), (True, END)]
    return prompt, answer


def sample_texts(rows, rng):
    """Raw (non-control) texts the vocabulary is learned from."""
    for row in rows:
        prompt, answer = training_example(row, rng)
        for is_control, text in prompt + answer:
            if not is_control:
                yield text
