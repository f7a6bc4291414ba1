"""The C Snowball stemmer (PyStemmer) that snowballstemmer hands out stems every library word as the pure-Python
one does, so installing it or not never changes a match."""

from __future__ import annotations

import re

import snowballstemmer
from snowballstemmer.english_stemmer import EnglishStemmer
from snowballstemmer.russian_stemmer import RussianStemmer

from tests.conftest import LIBRARY_PATH


def test_the_stemmer_in_use_is_the_c_build() -> None:
    assert type(snowballstemmer.stemmer("russian")).__module__ == "Stemmer"


def test_c_and_python_stemmers_agree_on_every_library_word() -> None:
    words = sorted(set(re.findall(r"[^\W\d_]+", LIBRARY_PATH.read_text(encoding="utf-8").casefold())))
    assert len(words) > 1000
    for name, python_stemmer in (("russian", RussianStemmer()), ("english", EnglishStemmer())):
        c_stemmer = snowballstemmer.stemmer(name)
        differ = [w for w in words if c_stemmer.stemWord(w) != python_stemmer.stemWord(w)]
        assert not differ, (name, differ[:10])
