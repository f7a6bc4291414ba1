"""Load and validate narratives.yaml (and its part-files): safe YAML, typed models, errors that name file, line and
key."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from matchers.library_error import LibraryError as LibraryError  # re-exported: callers catch it from here
from matchers.library_error import too_large
from matchers.library_files import LibraryFiles, read_library_files
from matchers.library_files import read_library_bytes as _read_bytes
from matchers.reported_speech import frame_problem

# Large enough for a newsroom network's library (a hundredfold one is about 60 MB); NARRATIVE_BOT_MAX_LIBRARY_BYTES
# sets another. The cap keeps a mistaken path (a log file, a dump) from being read whole into memory.
MAX_LIBRARY_BYTES = 64 * 1024 * 1024
LANGUAGES = ("ru", "en", "uk")
# The languages every narrative's title, summary and debunk come in; a reply is drawn in one of them.
Lang = Literal["en", "uk", "ru"]
TEXT_LANGUAGES: tuple[Lang, ...] = get_args(Lang)
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "uk": "Ukrainian", "ru": "Russian"}
TRANSLATED_FIELDS = ("title", "summary", "debunk")


def as_language(value: object) -> Lang | None:
    """`en`, `uk` or `ru` (any case, spaces around) as a language; anything else is None."""
    lowered = value.strip().lower() if isinstance(value, str) else ""
    for lang in TEXT_LANGUAGES:
        if lowered == lang:
            return lang
    return None
NARRATIVE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# -- safe YAML ---------------------------------------------------------------------------------------------------


# The library is five levels deep. PyYAML composes, constructs and we walk nodes recursively: 2,000 levels raised
# RecursionError (with a 2,800-line traceback) instead of an error that names the line. Refused at composition.
MAX_YAML_DEPTH = 50


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects aliases (billion laughs), duplicate keys and deep nesting."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                "while reading the library", None, "aliases (*name) are not allowed", event.start_mark
            )
        if self._depth >= MAX_YAML_DEPTH:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                "while reading the library", None, f"nested more than {MAX_YAML_DEPTH} levels deep", event.start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            if not isinstance(key, str):
                raise yaml.MarkedYAMLError(
                    "while reading a mapping", node.start_mark,
                    f"key {key!r} must be text (quote it)", key_node.start_mark,
                )
            if key in seen:
                raise yaml.MarkedYAMLError(
                    "while reading a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


# Positions of every node, keyed by its path ("narratives", 3, "debunk"), filled while loading.
Positions = dict[tuple[object, ...], tuple[int, int]]


def _walk_positions(node: yaml.Node, path: tuple[object, ...], out: Positions) -> None:
    out[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key, "__key__")] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk_positions(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk_positions(item, (*path, i), out)


def _load_yaml(text: str, filename: str) -> tuple[Any, Positions]:
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise LibraryError([f"{filename}:1:1: the file is empty"])
            data = loader.construct_document(node)
        finally:
            loader.dispose()  # type: ignore[no-untyped-call]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        raise LibraryError([f"{where}: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise LibraryError([f"{filename}: invalid YAML: {exc}"]) from None
    positions: Positions = {}
    _walk_positions(node, (), positions)
    return data, positions


# -- models ------------------------------------------------------------------------------------------------------

_Text = Field(min_length=1)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SourceModel(_Model):
    title: str = _Text
    url: str = Field(pattern=r"^https?://\S+$")


# Each translated field is a mapping with every language: `title: {en: …, uk: …, ru: …}`. A separate model per
# field keeps each field's length rule per language and shows editors the three keys in the JSON Schema.
class TitleModel(_Model):
    en: str = Field(min_length=3, max_length=150)
    uk: str = Field(min_length=3, max_length=150)
    ru: str = Field(min_length=3, max_length=150)


class SummaryModel(_Model):
    en: str = _Text
    uk: str = _Text
    ru: str = _Text


class DebunkModel(_Model):
    en: str = Field(min_length=20, max_length=800)
    uk: str = Field(min_length=20, max_length=800)
    ru: str = Field(min_length=20, max_length=800)


class NarrativeModel(_Model):
    id: str = Field(pattern=NARRATIVE_ID.pattern)
    title: TitleModel
    summary: SummaryModel
    debunk: DebunkModel
    sources: list[SourceModel] = Field(min_length=1)
    topic: Literal["dprk", "any"] = "dprk"
    anchors: list[str] = Field(default_factory=list)
    phrasings: dict[Literal["ru", "en", "uk"], list[str]]
    cues: dict[str, Annotated[int, Field(ge=1, le=3)]] = Field(default_factory=dict)
    examples: list[str] = Field(default_factory=list)
    non_examples: list[str] = Field(default_factory=list)
    # Hard negatives for the learned stage: neutral reports of the same events, fact-check sentences that restate
    # the claim to refute it, on-topic sentences that are not talking points.
    counter_examples: dict[Literal["ru", "en", "uk"], list[str]] = Field(default_factory=dict)

    @field_validator("phrasings")
    @classmethod
    def _every_language(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        missing = [lang for lang in LANGUAGES if not value.get(lang)]
        if missing:
            raise ValueError(f"phrasings needed in every language; missing: {', '.join(missing)}")
        for lang, items in value.items():
            for item in items:
                if not item.strip():
                    raise ValueError(f"empty phrasing in {lang}")
        return value


class LibraryModel(_Model):
    version: Literal[1]
    concepts: dict[str, list[str]] = Field(default_factory=dict)
    critical_markers: list[str] = Field(default_factory=list)
    topic_terms: list[str] = Field(default_factory=list)
    # Reported-speech frames per language ("По словам Пескова, {claim}", "«{quote}», — заявил депутат."): the
    # learned stage also trains on each phrasing set in one of them, as state media carry talking points.
    attributions: dict[Literal["ru", "en", "uk"], list[str]] = Field(default_factory=dict)
    narratives: list[NarrativeModel] = Field(min_length=1)

    @field_validator("attributions")
    @classmethod
    def _one_slot_each(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for lang, frames in value.items():
            for frame in frames:
                problem = frame_problem(frame)
                if problem:
                    raise ValueError(f"attribution frame {frame!r} ({lang}): {problem}")
        return value


class PartModel(LibraryModel):
    """One file of a split library: any file may leave out narratives (a file of shared concepts, say), as long as
    the library as a whole has one."""

    narratives: list[NarrativeModel] = Field(default_factory=list)


# -- public, plain dataclasses -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Translated:
    """One text in every reply language (a narrative's title, summary or debunk)."""

    en: str
    uk: str
    ru: str

    def in_(self, lang: Lang) -> str:
        text: str = getattr(self, lang)
        return text

    def all(self) -> tuple[str, ...]:
        return tuple(self.in_(lang) for lang in TEXT_LANGUAGES)


@dataclass(frozen=True)
class Narrative:
    """A talking point: its title, summary and debunk in en/uk/ru over one shared list of sources."""

    id: str
    titles: Translated
    summaries: Translated
    debunks: Translated
    sources: tuple[Source, ...]
    topic: str
    anchors: tuple[str, ...]
    phrasings: Mapping[str, tuple[str, ...]]
    cues: Mapping[str, int]
    examples: tuple[str, ...]
    non_examples: tuple[str, ...]
    counter_examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def title_in(self, lang: Lang) -> str:
        return self.titles.in_(lang)

    def summary_in(self, lang: Lang) -> str:
        return self.summaries.in_(lang)

    def debunk_in(self, lang: Lang) -> str:
        return self.debunks.in_(lang)

    def all_phrasings(self) -> Iterable[tuple[str, str]]:
        for lang, items in self.phrasings.items():
            for item in items:
                yield lang, item

    def all_counter_examples(self) -> Iterable[str]:
        for items in self.counter_examples.values():
            yield from items


@dataclass(frozen=True)
class Library:
    narratives: tuple[Narrative, ...]
    concepts: Mapping[str, tuple[str, ...]]
    critical_markers: tuple[str, ...]
    topic_terms: tuple[str, ...]
    path: str = "<memory>"
    attributions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, narrative_id: str) -> Narrative | None:
        for narrative in self.narratives:
            if narrative.id == narrative_id:
                return narrative
        return None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.narratives)


def _narrative_name(data: Any, loc: tuple[object, ...]) -> str:
    """" (narrative 'asian-nato')" for an error inside a narrative that has a usable id, else nothing."""
    if len(loc) < 2 or loc[0] != "narratives" or not isinstance(loc[1], int) or not isinstance(data, dict):
        return ""
    items = data.get("narratives")
    if not isinstance(items, list) or not 0 <= loc[1] < len(items) or not isinstance(items[loc[1]], dict):
        return ""
    narrative_id = items[loc[1]].get("id")
    return f" (narrative {narrative_id!r})" if isinstance(narrative_id, str) and narrative_id else ""


def _translation_message(error: Any, loc: tuple[object, ...]) -> str | None:
    """Plain words for the two mistakes a translated field invites: a language left out, or a bare string."""
    if len(loc) < 3 or loc[0] != "narratives" or loc[2] not in TRANSLATED_FIELDS:
        return None
    if error["type"] == "missing" and len(loc) == 4 and loc[3] in TEXT_LANGUAGES:
        return f"the {LANGUAGE_NAMES[str(loc[3])]} version ({loc[3]}) is missing; every narrative needs en, uk and ru"
    if error["type"] == "model_type" and len(loc) == 3:
        return f"needs en, uk and ru versions, as a mapping: {loc[2]}: {{en: …, uk: …, ru: …}}"
    if error["type"] == "extra_forbidden" and len(loc) == 4:
        return f"unknown language {loc[3]!r}; the languages are en, uk and ru"
    return None


def _format_validation(exc: ValidationError, filename: str, positions: Positions, data: Any = None) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith(("function-", "literal["))))
        # Find the nearest node we know the position of: the key itself, else its closest parent.
        line_col = None
        for cut in range(len(loc), -1, -1):
            prefix = loc[:cut]
            if error["type"] == "missing" and cut == len(loc):
                continue
            line_col = positions.get((*prefix, "__key__")) or positions.get(prefix)
            if line_col:
                break
        where = f"{filename}:{line_col[0]}:{line_col[1]}" if line_col else filename
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "(top)"
        message = "field required" if error["type"] == "missing" else error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        message = _translation_message(error, loc) or message
        problems.append(f"{where}: {key}: {message}{_narrative_name(data, loc)}")
    return problems


def _check_unique_ids(model: LibraryModel, filename: str, positions: Positions) -> None:
    seen: dict[str, int] = {}
    problems = []
    for i, narrative in enumerate(model.narratives):
        if narrative.id in seen:
            line, col = positions.get(("narratives", i, "id"), (1, 1))
            problems.append(
                f"{filename}:{line}:{col}: narratives[{i}].id: duplicate narrative id {narrative.id!r} "
                f"(first used by narratives[{seen[narrative.id]}])"
            )
        seen.setdefault(narrative.id, i)
    if problems:
        raise LibraryError(problems)


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to check narratives.yaml (kept in narratives.schema.json)."""
    schema = LibraryModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "narrative-bot narrative library"
    return schema


_SURROGATE = re.compile("[\ud800-\udfff]")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _translated(model: TitleModel | SummaryModel | DebunkModel, tidy: Callable[[str], str]) -> Translated:
    return Translated(en=tidy(model.en), uk=tidy(model.uk), ru=tidy(model.ru))


def _parsed(
    text: str, filename: str, max_bytes: int, model: type[LibraryModel] = LibraryModel
) -> tuple[LibraryModel, Positions]:
    """One file's text validated as `model`, with the positions of its nodes."""
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:
        # Text from a file is decoded UTF-8 and cannot hold one; a caller's string can, and would fail later.
        line = text.count("\n", 0, surrogate.start()) + 1
        column = surrogate.start() - (text.rfind("\n", 0, surrogate.start()) + 1) + 1
        raise LibraryError([f"{filename}:{line}:{column}: an unpaired surrogate is not text"])
    if len(text.encode("utf-8")) > max_bytes:
        raise too_large(filename, max_bytes)
    data, positions = _load_yaml(text, filename)
    if not isinstance(data, dict):
        raise LibraryError([f"{filename}:1:1: the top level must be a mapping with 'version' and 'narratives'"])
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        raise LibraryError(_format_validation(exc, filename, positions, data)) from None
    _check_unique_ids(validated, filename, positions)
    return validated, positions


def _narrative(n: NarrativeModel) -> Narrative:
    return Narrative(
        id=n.id,
        titles=_translated(n.title, str.strip),
        summaries=_translated(n.summary, _one_line),
        debunks=_translated(n.debunk, _one_line),
        sources=tuple(Source(s.title, s.url) for s in n.sources),
        topic=n.topic,
        anchors=tuple(n.anchors),
        phrasings={lang: tuple(items) for lang, items in n.phrasings.items()},
        cues=dict(n.cues),
        examples=tuple(n.examples),
        non_examples=tuple(n.non_examples),
        counter_examples={lang: tuple(items) for lang, items in n.counter_examples.items()},
    )


def _union(lists: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """The first list as it is, then what each later file adds to it (a word two files list counts once)."""
    merged: list[str] = []
    seen: set[str] = set()
    for i, words in enumerate(lists):
        for word in words:
            if i == 0 or word not in seen:
                merged.append(word)
            seen.add(word)
    return tuple(merged)


def _library(models: list[LibraryModel], path: str) -> Library:
    """The library of one file's model, or of several files' in load order: their narratives one after another,
    each concept group, critical marker, topic term and attribution frame list the union of the files'."""
    concepts: dict[str, list[list[str]]] = {}
    attributions: dict[str, list[list[str]]] = {}
    for model in models:
        for name, words in model.concepts.items():
            concepts.setdefault(name, []).append(words)
        for lang, frames in model.attributions.items():
            attributions.setdefault(lang, []).append(frames)
    return Library(
        narratives=tuple(_narrative(n) for model in models for n in model.narratives),
        concepts={name: _union(groups) for name, groups in concepts.items()},
        critical_markers=_union(model.critical_markers for model in models),
        topic_terms=_union(model.topic_terms for model in models),
        path=path,
        attributions={lang: _union(groups) for lang, groups in attributions.items()},
    )


def parse_library(text: str, filename: str = "narratives.yaml", *, max_bytes: int = MAX_LIBRARY_BYTES) -> Library:
    """Validate library text; raises LibraryError listing every problem with file:line:column."""
    model, _ = _parsed(text, filename, max_bytes)
    return _library([model], filename)


def load_library(path: str | Path, *, max_bytes: int = MAX_LIBRARY_BYTES) -> Library:
    """Read and validate a library: a file, a file with its folder of part-files, or a folder of part-files."""
    return library_from_files(read_library_files(path, max_bytes=max_bytes), max_bytes=max_bytes)


def read_library_bytes(path: str | Path, *, max_bytes: int = MAX_LIBRARY_BYTES) -> bytes:
    """A library file's bytes, refused when it is too large or unreadable."""
    return _read_bytes(path, max_bytes=max_bytes)


def _text(raw: bytes, filename: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LibraryError([f"{filename}: not UTF-8 text (byte {exc.start})"]) from None


def library_from_bytes(raw: bytes, filename: str, *, max_bytes: int = MAX_LIBRARY_BYTES) -> Library:
    """Validate a library from the bytes of its file (see read_library_bytes)."""
    return parse_library(_text(raw, filename), filename, max_bytes=max_bytes)


def library_from_files(files: LibraryFiles, *, max_bytes: int = MAX_LIBRARY_BYTES) -> Library:
    """Validate a library from the bytes of its files (see read_library_files). A split library's problems are
    gathered from every file, each naming its own file and line."""
    if not files.split:
        only = files.files[0]
        return library_from_bytes(only.raw, only.name, max_bytes=max_bytes)
    problems: list[str] = []
    parsed: list[tuple[str, LibraryModel, Positions]] = []
    for part in files.files:
        try:
            model, positions = _parsed(_text(part.raw, part.name), part.name, max_bytes, PartModel)
        except LibraryError as exc:
            problems.extend(exc.problems)
        else:
            parsed.append((part.name, model, positions))
    problems.extend(_duplicates_across_files(parsed))
    if not problems and not any(model.narratives for _, model, _ in parsed):
        problems.append(f"{files.files[0].name}:1:1: narratives: none in any of the library's files; one is needed")
    if problems:
        raise LibraryError(problems)
    return _library([model for _, model, _ in parsed], str(files.path))


def _duplicates_across_files(parsed: list[tuple[str, LibraryModel, Positions]]) -> list[str]:
    """A narrative id defined in two files, named at both places. (Twice in one file is refused by that file.)"""
    first: dict[str, tuple[str, str]] = {}  # id -> (file, "file:line:column")
    problems = []
    for filename, model, positions in parsed:
        for i, narrative in enumerate(model.narratives):
            line, col = positions.get(("narratives", i, "id"), (1, 1))
            where = f"{filename}:{line}:{col}"
            if narrative.id in first and first[narrative.id][0] != filename:
                problems.append(
                    f"{where}: narratives[{i}].id: duplicate narrative id {narrative.id!r} "
                    f"(first defined at {first[narrative.id][1]})"
                )
            first.setdefault(narrative.id, (filename, where))
    return problems
