"""A small two-narrative library and a deterministic stand-in embedder for the semantic stage's unit tests.

The stand-in hashes word stems into a 256-dimensional bag of words: texts that share words point the same way,
which is all the training and blending code needs to be exercised. The real bundled model has its own tests.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence

import numpy as np

from matchers.embedding import Vectors, normalise_rows
from matchers.normalize import fold, tokens

SMALL_LIBRARY = """
version: 1
concepts:
  dprk: [КНДР, Пхеньян, North Korea, DPRK, Pyongyang, North Korean]
narratives:
  - id: troops-denial
    title:
      en: "Reports of North Korean troops in Russia are a Western fake"
      uk: "Повідомлення про війська КНДР у Росії — західний фейк"
      ru: "Сообщения о войсках КНДР в России — западный фейк"
    summary:
      en: Dismisses the reports of North Korean soldiers in the Kursk region as an invention.
      uk: Відкидає повідомлення про північнокорейських солдатів у Курській області як вигадку.
      ru: Отвергает сообщения о северокорейских солдатах в Курской области как выдумку.
    debunk:
      en: In April 2025 both Moscow and Pyongyang acknowledged that North Korean troops had fought in the Kursk region.
      uk: У квітні 2025 року Москва і Пхеньян визнали, що північнокорейські війська воювали в Курській області.
      ru: В апреле 2025 года Москва и Пхеньян признали, что северокорейские войска воевали в Курской области.
    sources:
      - {title: "UN News", url: "https://news.un.org/"}
    topic: dprk
    phrasings:
      ru:
        - "Никаких северокорейских солдат под Курском нет, это очередной фейк западных спецслужб."
        - "Истории про войска КНДР в России придуманы в Киеве, чтобы выпросить новое оружие."
      en:
        - "There are no North Korean soldiers in Kursk; the story is another fake from Western intelligence."
        - "The tale of DPRK troops fighting for Russia was invented in Kyiv to beg for more weapons."
        - "Talk of Pyongyang's soldiers on Russian soil is a hoax spread by the CIA."
      uk:
        - "Жодних північнокорейських солдатів під Курськом немає, це черговий фейк західних спецслужб."
    cues: {fake: 2, hoax: 2, invented: 2, фейк: 2}
    counter_examples:
      en:
        - "South Korea's intelligence service said North Korean soldiers had been deployed to the Kursk region."
        - "In April 2025 Moscow and Pyongyang acknowledged that North Korean troops fought in Kursk."
        - "Ukraine said it had captured two North Korean soldiers in the Kursk region in January 2025."
      ru:
        - "Южнокорейская разведка сообщила о переброске северокорейских военных в Курскую область."
  - id: sanctions-illegitimate
    title:
      en: "UN sanctions on the DPRK are illegitimate and dead"
      uk: "Санкції ООН проти КНДР нелегітимні й мертві"
      ru: "Санкции ООН против КНДР нелегитимны и мертвы"
    summary:
      en: Claims the Security Council sanctions on North Korea have outlived themselves.
      uk: Стверджує, що санкції Ради Безпеки проти Північної Кореї себе зжили.
      ru: Утверждает, что санкции Совета Безопасности против Северной Кореи изжили себя.
    debunk:
      en: Russia voted for every Security Council sanctions resolution on the DPRK from 1718 (2006) to 2397 (2017).
      uk: Росія голосувала за кожну резолюцію Ради Безпеки про санкції проти КНДР від 1718 (2006) до 2397 (2017).
      ru: Россия голосовала за каждую резолюцию Совета Безопасности о санкциях против КНДР от 1718 (2006) до 2397 (2017).
    sources:
      - {title: "Resolution 1718", url: "https://undocs.org/S/RES/1718(2006)"}
    topic: dprk
    phrasings:
      ru:
        - "Санкции ООН против КНДР изжили себя, и Россия больше не будет их соблюдать."
        - "Санкционный режим против Пхеньяна нелегитимен и давно мёртв."
      en:
        - "UN sanctions on North Korea are dead and Russia will no longer abide by them."
        - "The sanctions regime against Pyongyang is illegitimate and has outlived itself."
      uk:
        - "Санкції ООН проти КНДР віджили своє, і Росія більше не буде їх дотримуватися."
    cues: {illegitimate: 2, dead: 2, нелегитимен: 2}
    counter_examples:
      en:
        - "Russia vetoed the renewal of the UN panel of experts that monitored sanctions on North Korea."
        - "The Security Council adopted resolution 2397 on North Korea in December 2017."
      ru:
        - "Совбез ООН принял резолюцию 2397 по КНДР в декабре 2017 года."
"""


class HashEmbedder:
    """Bag of hashed words, unit length; counts its calls so tests can see what was embedded."""

    model_id = "test-hash-256"

    def __init__(self, dim: int = 256, delay_s: float = 0.0) -> None:
        self.dim = dim
        self.delay_s = delay_s
        self.embedded: list[str] = []
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in tokens(fold(text)):
                bucket = int.from_bytes(hashlib.blake2b(word[:6].encode(), digest_size=4).digest(), "little")
                rows[i, bucket % self.dim] += 1.0
        with self._lock:
            self.embedded.extend(texts)
        if self.delay_s:
            threading.Event().wait(self.delay_s * len(texts))
        return normalise_rows(rows)
