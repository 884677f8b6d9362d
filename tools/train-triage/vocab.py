"""A small SentencePiece-style vocabulary and an encoder that follows llama.cpp's SPM
tokenizer exactly, so training sees the token ids edgenode's tokenizer produces.

Layout (GGUF tokenizer.ggml.model = "llama"): <unk>=0, <s>=1, </s>=2, the 256 byte tokens
<0x00>..<0xFF>, the chat control tokens, the printable ASCII characters and U+2581, then the
pieces learned by byte-pair merging of the training text (score = -merge rank, so earlier
merges win). Digits and JSON punctuation are never merged: numbers are read digit by digit,
and every token of an answer stays inside one JSON element, which keeps the status a single
token and lets constrained decoding follow the grammar token by token.
"""

import collections
import heapq
import json

SPACE = "\u2581"

TYPE_NORMAL, TYPE_UNKNOWN, TYPE_CONTROL, TYPE_BYTE = 1, 2, 3, 6


class Vocab:
    def __init__(self, tokens, scores, types):
        self.tokens, self.scores, self.types = tokens, scores, types
        self.index = {t: i for i, t in enumerate(tokens)}

    @classmethod
    def learn(cls, texts, control_tokens, n_merges):
        tokens = ["<unk>", "<s>", "</s>"]
        types = [TYPE_UNKNOWN, TYPE_CONTROL, TYPE_CONTROL]
        tokens += [f"<0x{b:02X}>" for b in range(256)]
        types += [TYPE_BYTE] * 256
        tokens += list(control_tokens)
        types += [TYPE_CONTROL] * len(control_tokens)
        chars = [SPACE] + [chr(c) for c in range(0x21, 0x7F)]
        tokens += chars
        types += [TYPE_NORMAL] * len(chars)
        scores = [0.0] * len(tokens)
        for i in range(len(tokens) - len(chars), len(tokens)):
            scores[i] = -1.0e6  # single characters never compete in a merge
        merges = _learn_merges(texts, n_merges)
        for rank, piece in enumerate(merges):
            tokens.append(piece)
            types.append(TYPE_NORMAL)
            scores.append(-float(rank + 1))
        return cls(tokens, scores, types)

    def save(self, path):
        with open(path, "w") as f:
            json.dump({"tokens": self.tokens, "scores": self.scores, "types": self.types}, f)

    @classmethod
    def load(cls, path):
        with open(path) as f:
            data = json.load(f)
        return cls(data["tokens"], data["scores"], data["types"])

    def encode(self, text):
        """llama.cpp llm_tokenizer_spm_session::tokenize on one raw-text fragment
        (add_space_prefix is false for this vocabulary)."""
        text = text.replace(" ", SPACE)
        symbols = list(text)  # one symbol per code point
        n = len(symbols)
        if n == 0:
            return []
        prev = list(range(-1, n - 1))
        nxt = list(range(1, n + 1))
        nxt[-1] = -1
        sizes = [1] * n
        starts = list(range(n))
        rev_merge = {}
        queue = []

        def symbol_text(i):
            return text[starts[i]:starts[i] + sizes[i]]

        def try_add_bigram(left, right):
            if left == -1 or right == -1:
                return
            piece = symbol_text(left) + symbol_text(right)
            token = self.index.get(piece)
            if token is None:
                return
            # Highest score first; on a tie the leftmost pair.
            heapq.heappush(queue, (-self.scores[token], left, right, len(piece)))
            rev_merge[piece] = (left, right)

        for i in range(1, n):
            try_add_bigram(i - 1, i)
        while queue:
            _, left, right, size = heapq.heappop(queue)
            if sizes[left] == 0 or sizes[right] == 0 or sizes[left] + sizes[right] != size:
                continue
            sizes[left] += sizes[right]
            sizes[right] = 0
            nxt[left] = nxt[right]
            if nxt[right] != -1:
                prev[nxt[right]] = left
            try_add_bigram(prev[left], left)
            try_add_bigram(left, nxt[left])

        out = []

        def resegment(i):
            piece = symbol_text(i)
            token = self.index.get(piece)
            if token is not None:
                out.append(token)
                return
            if piece not in rev_merge:
                for b in piece.encode("utf-8"):
                    out.append(self.index[f"<0x{b:02X}>"])
                return
            left, right = rev_merge[piece]
            resegment(left)
            resegment(right)

        i = 0
        while i != -1:
            resegment(i)
            i = nxt[i]
        return out

    def decode(self, ids):
        data = bytearray()
        for i in ids:
            if self.types[i] == TYPE_BYTE:
                data.append(int(self.tokens[i][3:5], 16))
            else:
                data += self.tokens[i].replace(SPACE, " ").encode("utf-8")
        return data.decode("utf-8", errors="replace")


_NEVER_MERGED = set('0123456789{}[]":,')


def _learn_merges(texts, n_merges):
    """Byte-pair merges over words (a word starts at U+2581); digits and JSON punctuation
    stay single."""
    words = collections.Counter()
    for text in texts:
        escaped = text.replace(" ", SPACE)
        start = 0
        for i in range(1, len(escaped) + 1):
            if i == len(escaped) or escaped[i] == SPACE:
                words[tuple(escaped[start:i])] += 1
                start = i
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for word, count in words.items():
            for a, b in zip(word, word[1:]):
                if not any(c in _NEVER_MERGED for c in a + b):
                    pairs[(a, b)] += count
        if not pairs:
            break
        (a, b), count = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if count < 2:
            break
        merged = a + b
        merges.append(merged)
        new_words = collections.Counter()
        for word, c in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            new_words[tuple(out)] += c
        words = new_words
    return merges
