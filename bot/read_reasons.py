"""Why a link or a feed could not be read, in en/uk/ru.

A fetch or parse error carries a `Reason` (a key and the figures it names: seconds, a port, a status) instead of a
finished sentence, so that the same failure can be told to a Ukrainian channel in Ukrainian and to the log and the
command line in English. Machine-readable parts (status codes, ports, host names, error codes) are kept as they are
in every language.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from dataclasses import dataclass

from matchers.library import Lang

__all__ = ["LINK_PREFIX", "Reason", "code_reason", "describe_media_type", "plural", "size_text", "stored_error_in"]

# What a pasted link's reason follows: "I can't read that link: the site took longer than 20 s to answer."
LINK_PREFIX: Mapping[Lang, str] = {
    "en": "I can't read that link: ",
    "uk": "Не вдалося прочитати посилання: ",
    "ru": "Не удалось прочитать ссылку: ",
}

# Each reason is a clause that completes LINK_PREFIX (and "I can't watch URL: " for a feed), lower-case first.
_CLAUSES: Mapping[str, Mapping[Lang, str]] = {
    "bad_url": {
        "en": "it isn't a valid http(s) web address.",
        "uk": "це не коректна вебадреса http(s).",
        "ru": "это не корректный веб-адрес http(s).",
    },
    "bad_port": {
        "en": "it uses port {port}, which I don't connect to.",
        "uk": "адреса вказує порт {port}, а до нього бот не підключається.",
        "ru": "адрес указывает порт {port}, а к нему бот не подключается.",
    },
    "blocked_address": {
        "en": "it points to a private or local network address.",
        "uk": "адреса веде до приватної або локальної мережі.",
        "ru": "адрес ведёт в частную или локальную сеть.",
    },
    "timeout": {
        "en": "the site took too long to answer.",
        "uk": "сайт надто довго не відповідав.",
        "ru": "сайт слишком долго не отвечал.",
    },
    "timeout_after": {
        "en": "the site took longer than {seconds} s to answer.",
        "uk": "сайт не відповів за {seconds} с.",
        "ru": "сайт не ответил за {seconds} с.",
    },
    "too_large": {"en": "the page is too large.", "uk": "сторінка завелика.", "ru": "страница слишком большая."},
    "too_large_than": {
        "en": "the page is larger than {size}.",
        "uk": "сторінка більша за {size}.",
        "ru": "страница больше {size}.",
    },
    "http_error": {
        "en": "the site answered with an error.",
        "uk": "сайт відповів помилкою.",
        "ru": "сайт ответил ошибкой.",
    },
    "http_status": {
        "en": "the site answered HTTP {status}{phrase}.",
        "uk": "сайт відповів кодом HTTP {status}{phrase}.",
        "ru": "сайт ответил кодом HTTP {status}{phrase}.",
    },
    "unsupported_type": {"en": "it isn't a web page.", "uk": "це не вебсторінка.", "ru": "это не веб-страница."},
    "media_type": {
        "en": "it is {media}, not a web page.",
        "uk": "це {media}, а не вебсторінка.",
        "ru": "это {media}, а не веб-страница.",
    },
    "compression": {
        "en": "the site used a compression I don't read.",
        "uk": "сайт стиснув сторінку у форматі, який бот не читає.",
        "ru": "сайт сжал страницу в формате, который бот не читает.",
    },
    "connect_failed": {
        "en": "I couldn't connect to the site.",
        "uk": "не вдалося з'єднатися із сайтом.",
        "ru": "не удалось подключиться к сайту.",
    },
    "corrupt_compression": {
        "en": "the site sent a corrupt compressed page.",
        "uk": "сайт надіслав пошкоджену стиснуту сторінку.",
        "ru": "сайт прислал повреждённую сжатую страницу.",
    },
    "connection_broke": {
        "en": "the connection broke while reading the page.",
        "uk": "з'єднання обірвалося, поки сторінка завантажувалася.",
        "ru": "соединение оборвалось, пока страница загружалась.",
    },
    "too_many_redirects": {
        "en": "the site redirected too many times.",
        "uk": "сайт переадресовував забагато разів.",
        "ru": "сайт перенаправлял слишком много раз.",
    },
    "too_many_redirects_n": {
        "en": "the site redirected more than {count} times.",
        "uk": "сайт переадресовував більше разів, ніж дозволено ({count}).",
        "ru": "сайт перенаправлял больше раз, чем допустимо ({count}).",
    },
    "not_article": {
        "en": "I found no article text on that page.",
        "uk": "на сторінці не знайшлося тексту статті.",
        "ru": "на странице не нашлось текста статьи.",
    },
    "telegram_post_empty": {
        "en": "that Telegram post has no text.",
        "uk": "у цьому дописі в Telegram немає тексту.",
        "ru": "в этом посте в Telegram нет текста.",
    },
    "page_too_complex": {
        "en": "the page is too large or complex to read in reasonable time.",
        "uk": "сторінка завелика або надто складна, щоб прочитати її за розумний час.",
        "ru": "страница слишком большая или сложная, чтобы прочитать её за разумное время.",
    },
    "telegram_no_preview": {
        "en": "this Telegram channel does not allow previews, so I can't see the post.",
        "uk": "цей Telegram-канал закрив попередній перегляд, тож допису не видно.",
        "ru": "этот Telegram-канал закрыл предпросмотр, поэтому пост не виден.",
    },
    "dns_failed": {
        "en": "the site's name doesn't resolve to any address.",
        "uk": "домен сайту не знайдено в DNS.",
        "ru": "домен сайта не найден в DNS.",
    },
    "dns_failed_host": {
        "en": "the site's name ({host}) doesn't resolve.",
        "uk": "домен {host} не знайдено в DNS.",
        "ru": "домен {host} не найден в DNS.",
    },
    "unknown": {"en": "something went wrong.", "uk": "щось пішло не так.", "ru": "что-то пошло не так."},
    # -- feeds
    "malformed_feed": {
        "en": "the address did not return a readable RSS or Atom feed.",
        "uk": "за цією адресою немає стрічки RSS чи Atom, яку можна прочитати.",
        "ru": "по этому адресу нет ленты RSS или Atom, которую можно прочитать.",
    },
    "telegram_channel_no_preview": {
        "en": "this Telegram channel does not allow previews, so it cannot be watched.",
        "uk": "цей Telegram-канал закрив попередній перегляд, тож стежити за ним не вийде.",
        "ru": "этот Telegram-канал закрыл предпросмотр, поэтому следить за ним не получится.",
    },
    "not_telegram_preview": {
        "en": "the address did not return a Telegram channel preview.",
        "uk": "за цією адресою немає попереднього перегляду Telegram-каналу.",
        "ru": "по этому адресу нет предпросмотра Telegram-канала.",
    },
    "internal_error": {
        "en": "it could not be read because of an internal error; it has been logged.",
        "uk": "її не вдалося прочитати через внутрішню помилку; подробиці записано в журнал.",
        "ru": "её не удалось прочитать из-за внутренней ошибки; подробности записаны в журнал.",
    },
}

# Status phrases as a reader would say them; English takes http.HTTPStatus's own, other statuses name the number.
_STATUS_PHRASES: Mapping[int, Mapping[Lang, str]] = {
    400: {"uk": "некоректний запит", "ru": "некорректный запрос"},
    401: {"uk": "потрібна авторизація", "ru": "нужна авторизация"},
    403: {"uk": "доступ заборонено", "ru": "доступ запрещён"},
    404: {"uk": "сторінку не знайдено", "ru": "страница не найдена"},
    410: {"uk": "сторінку видалено", "ru": "страница удалена"},
    429: {"uk": "забагато запитів", "ru": "слишком много запросов"},
    451: {"uk": "недоступно з юридичних причин", "ru": "недоступно по юридическим причинам"},
    500: {"uk": "внутрішня помилка сервера", "ru": "внутренняя ошибка сервера"},
    502: {"uk": "помилка шлюзу", "ru": "ошибка шлюза"},
    503: {"uk": "сервіс недоступний", "ru": "сервис недоступен"},
    504: {"uk": "шлюз не дочекався відповіді", "ru": "шлюз не дождался ответа"},
}

# What users call the files we do not read: a raw media type ("application/pdf") means nothing to most of them.
_MEDIA_KINDS: Mapping[str, str] = {
    "application/pdf": "pdf",
    "application/json": "json",
    "application/zip": "archive",
    "application/gzip": "archive",
    "application/x-gzip": "archive",
    "application/x-tar": "archive",
    "application/x-7z-compressed": "archive",
    "application/vnd.rar": "archive",
    "application/x-rar-compressed": "archive",
    "application/epub+zip": "ebook",
    "application/msword": "word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word",
    "application/vnd.oasis.opendocument.text": "text_document",
    "application/vnd.ms-excel": "spreadsheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "spreadsheet",
    "application/vnd.ms-powerpoint": "presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "presentation",
    "application/javascript": "script",
    "text/javascript": "script",
    "text/css": "stylesheet",
    "text/csv": "csv",
    "text/calendar": "calendar",
    "application/octet-stream": "download",
}
_MEDIA_FAMILIES: Mapping[str, str] = {"image": "image", "video": "video", "audio": "audio", "font": "font"}
_MEDIA_NAMES: Mapping[str, Mapping[Lang, str]] = {
    "pdf": {"en": "a PDF file", "uk": "PDF-файл", "ru": "PDF-файл"},
    "json": {"en": "a JSON file", "uk": "JSON-файл", "ru": "JSON-файл"},
    "archive": {"en": "an archive", "uk": "архів", "ru": "архив"},
    "ebook": {"en": "an e-book", "uk": "електронна книжка", "ru": "электронная книга"},
    "word": {"en": "a Word document", "uk": "документ Word", "ru": "документ Word"},
    "text_document": {"en": "a text document", "uk": "текстовий документ", "ru": "текстовый документ"},
    "spreadsheet": {"en": "a spreadsheet", "uk": "таблиця", "ru": "таблица"},
    "presentation": {"en": "a presentation", "uk": "презентація", "ru": "презентация"},
    "script": {"en": "a script", "uk": "скрипт", "ru": "скрипт"},
    "stylesheet": {"en": "a style sheet", "uk": "таблиця стилів CSS", "ru": "таблица стилей CSS"},
    "csv": {"en": "a spreadsheet (CSV)", "uk": "таблиця (CSV)", "ru": "таблица (CSV)"},
    "calendar": {"en": "a calendar file", "uk": "файл календаря", "ru": "файл календаря"},
    "download": {"en": "a download", "uk": "файл для завантаження", "ru": "файл для скачивания"},
    "image": {"en": "an image", "uk": "зображення", "ru": "изображение"},
    "video": {"en": "a video", "uk": "відео", "ru": "видео"},
    "audio": {"en": "an audio file", "uk": "аудіофайл", "ru": "аудиофайл"},
    "font": {"en": "a font file", "uk": "файл шрифту", "ru": "файл шрифта"},
    "file": {"en": "a file", "uk": "файл", "ru": "файл"},
}
_SIZE_UNITS: Mapping[Lang, tuple[str, str]] = {"en": ("MB", "KB"), "uk": ("МБ", "КБ"), "ru": ("МБ", "КБ")}


def describe_media_type(media_type: str, lang: Lang = "en") -> str:
    """A media type in words ("a PDF file", "an image"; "a file" when unknown; "PDF-файл" in Ukrainian)."""
    kind = _MEDIA_KINDS.get(media_type) or _MEDIA_FAMILIES.get(media_type.partition("/")[0], "file")
    return _MEDIA_NAMES[kind][lang]


def size_text(n: int, lang: Lang = "en") -> str:
    """A byte count as "5 MB" or "512 KB" ("1,5 МБ" in Ukrainian and Russian, which write a decimal comma)."""
    mb, kb = _SIZE_UNITS[lang]
    mib = n / (1024 * 1024)
    figure = f"{mib:g} {mb}" if mib >= 1 else f"{n // 1024} {kb}"
    return figure if lang == "en" else figure.replace(".", ",")


def _status_phrase(status: int, lang: Lang) -> str:
    if lang == "en":
        try:
            return f" ({http.HTTPStatus(status).phrase.lower()})"
        except ValueError:
            return " (error)"
    phrase = _STATUS_PHRASES.get(status, {}).get(lang)
    return f" ({phrase})" if phrase else ""


def plural(count: int, lang: Lang, forms: Mapping[Lang, tuple[str, str, str]]) -> str:
    """The noun form for `count` from (one, few, many) in `lang`: English uses one for 1 and many otherwise;
    Ukrainian and Russian pick one (1, 21), few (2–4, 22–24) or many (5–20, 25…): "1 запис, 2 записи, 5 записів"."""
    one, few, many = forms[lang]
    if lang == "en":
        return one if count == 1 else many
    tens, units = count % 100, count % 10
    if units == 1 and tens != 11:
        return one
    if 2 <= units <= 4 and not 12 <= tens <= 14:
        return few
    return many


@dataclass(frozen=True)
class Reason:
    """Why a link or feed could not be read: a key of the table above and the figures its wording names."""

    key: str
    details: tuple[tuple[str, str | int], ...] = ()

    def clause(self, lang: Lang = "en") -> str:
        """The reason as a clause: "the site answered HTTP 404 (not found)." """
        entry = _CLAUSES.get(self.key) or _CLAUSES["unknown"]
        values: dict[str, str | int] = dict(self.details)
        if "media_type" in values:
            values["media"] = describe_media_type(str(values.pop("media_type")), lang)
        if "bytes" in values:
            values["size"] = size_text(int(values.pop("bytes")), lang)
        if "status" in values:
            values["phrase"] = _status_phrase(int(values["status"]), lang)
        text = entry[lang]
        return text.format(**values) if values else text

    def message(self, lang: Lang = "en") -> str:
        """The reason for a pasted link: "I can't read that link: …"."""
        return LINK_PREFIX[lang] + self.clause(lang)

    def sentence(self, lang: Lang = "en") -> str:
        """The reason on its own, as a sentence: "The address did not return a readable RSS or Atom feed." """
        clause = self.clause(lang)
        return clause[:1].upper() + clause[1:]


def code_reason(code: str) -> Reason | None:
    """The reason a bare error code stands for, when the table has one."""
    return Reason(code) if code in _CLAUSES else None


def stored_error_in(error: str, lang: Lang) -> str:
    """A feed's last error as stored ("http_error: I can't read that link: …", written in English) for a listing
    in `lang`: English as it is, else its code and that code's reason in `lang` (the code kept as it was)."""
    if lang == "en":
        return error
    code, sep, _ = error.partition(":")
    reason = code_reason(code.strip()) if sep else None
    if reason is None:
        return code.strip() if sep else error
    return f"{code.strip()} — {reason.clause(lang).rstrip('.')}"
