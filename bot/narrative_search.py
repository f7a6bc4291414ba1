"""Finding narratives by words: the ranking behind `/narrative search`, and the ids close to a mistyped one."""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz import fuzz, process

from bot.library_holder import LibraryHolder
from matchers import Narrative
from matchers.index import analyse


class NarrativeSearch:
    """Ranks the library's narratives against a few words, in any of the three languages."""

    def __init__(self, library: LibraryHolder) -> None:
        self.library = library

    def closest_ids(self, word: str, limit: int = 3) -> list[str]:
        ids = self.library.library.ids
        return [m[0] for m in process.extract(word, ids, scorer=fuzz.WRatio, limit=limit, score_cutoff=50)]

    def search(self, words: str, limit: int = 5) -> list[tuple[Narrative, float]]:
        """Narratives ranked by how well `words` fit them, in any of the three languages.

        Words are stemmed like texts are, so "истерике" finds "истерика"; a word counts fully when the title,
        summary or cues use it, a little less when only phrasings do (three of them make it); rapidfuzz on id
        and title forgives typos. Only narratives close to the best fit are returned, so a common word does not
        list the library.
        """
        matcher = self.library.matcher
        compiled = matcher.compiled
        query = set(analyse(words, compiled.rewriter).content)
        phrasing_stems: dict[int, list[tuple[int, ...]]] = defaultdict(list)
        for phrasing in compiled.phrasings:
            phrasing_stems[phrasing.narrative].append(phrasing.stems)
        ranked: list[tuple[Narrative, float]] = []
        for n_idx, narrative in enumerate(matcher.library.narratives):
            # Titles and summaries in all three languages, so "паніка" finds what "panic" finds.
            about_text = " ".join(
                [narrative.id.replace("-", " "), *narrative.titles.all(), *narrative.summaries.all(), *narrative.cues]
            )
            about = set(analyse(about_text, compiled.rewriter).content)
            values = []
            for stem_ in query:
                k = compiled.vocab.get(stem_)
                uses = 0 if k is None else sum(k in p for p in phrasing_stems[n_idx])
                values.append(1.0 if stem_ in about else min(0.9, uses / 3))
            score = 100 * sum(values) / len(values) if values else 0.0
            typo = max(
                fuzz.partial_token_set_ratio(words.lower(), f.lower()) for f in (narrative.id, *narrative.titles.all())
            )
            ranked.append((narrative, max(score, typo if typo >= 80 else 0.0)))
        ranked.sort(key=lambda item: -item[1])
        if not ranked or ranked[0][1] < 50:
            return []
        top = ranked[0][1]
        return [(n, score) for n, score in ranked[:limit] if score >= max(50.0, top - 15)]
