"""The fixed words of cards and `/narrative` answers in en/uk/ru, and the choice of language for a reply.

The narrative texts themselves (title, summary, debunk) come from the library in the same three languages; this
module holds only what the bot itself says around them.
"""

from __future__ import annotations

import re

from matchers.library import TEXT_LANGUAGES, Lang, as_language
from matchers.normalize import text_language

__all__ = [
    "ALERTS", "FAILED_ATTEMPTS", "FAILURES", "FAILURES_IN_A_ROW", "ITEMS", "LANGUAGES", "LANGUAGE_NAMES_IN",
    "LATEST_ALERTS", "WORDS", "Lang", "parse_language", "reason_label", "reply_language", "text_language",
    "translate_signal", "word",
]  # fmt: skip

LANGUAGES: tuple[Lang, ...] = TEXT_LANGUAGES


WORDS: dict[str, dict[Lang, str]] = {
    "known": {"en": "Known narrative", "uk": "Відомий наратив", "ru": "Известный нарратив"},
    "possible": {"en": "Possible narrative", "uk": "Можливий наратив", "ru": "Возможный нарратив"},
    "evidence": {"en": "Evidence", "uk": "Цитата", "ru": "Цитата"},
    "facts": {"en": "The facts", "uk": "Факти", "ru": "Факты"},
    "sources": {"en": "Sources", "uk": "Джерела", "ru": "Источники"},
    "also": {"en": "Also", "uk": "Також", "ru": "Также"},
    "article": {"en": "Article", "uk": "Стаття", "ru": "Статья"},
    "feed": {"en": "Feed", "uk": "Стрічка", "ru": "Лента"},
    "why": {"en": "Why", "uk": "Чому", "ru": "Почему"},
    "signals": {"en": "Signals", "uk": "Сигнали", "ru": "Сигналы"},
    "narrative": {"en": "narrative", "uk": "наратив", "ru": "нарратив"},
    "confidence": {"en": "Confidence", "uk": "Впевненість", "ru": "Уверенность"},
    "high": {"en": "high", "uk": "висока", "ru": "высокая"},
    "medium": {"en": "medium", "uk": "середня", "ru": "средняя"},
    "low": {"en": "low", "uk": "низька", "ru": "низкая"},
    # The adjectives above agree with the noun here: "висока впевненість", "средняя уверенность".
    "confidence_text": {
        "en": "{level} confidence ({score}/100{suffix})",
        "uk": "{level} впевненість ({score}/100{suffix})",
        "ru": "{level} уверенность ({score}/100{suffix})",
    },
    "below_threshold": {
        "en": "below the alert threshold",
        "uk": "нижче порогу сповіщення",
        "ru": "ниже порога оповещения",
    },
    "button_right": {"en": "✅ Right narrative", "uk": "✅ Наратив правильний", "ru": "✅ Нарратив верный"},
    "button_wrong": {"en": "❌ Wrong match", "uk": "❌ Хибний збіг", "ru": "❌ Ошибочное совпадение"},
    "more_not_shown": {
        "en": "…and {count} more not shown here.",
        "uk": "…і ще {count}, не показані тут.",
        "ru": "…и ещё {count}, не показанные здесь.",
    },
    # Discord's buttons: short labels for one card, and naming the narrative when a message has several.
    "button_correct": {"en": "Correct", "uk": "Правильно", "ru": "Верно"},
    "button_incorrect": {"en": "Wrong", "uk": "Хибно", "ru": "Ошибочно"},
    "button_right_about": {"en": "Right: {title}", "uk": "Правильно: {title}", "ru": "Верно: {title}"},
    "button_wrong_about": {"en": "Wrong: {title}", "uk": "Хибно: {title}", "ru": "Ошибочно: {title}"},
    # -- /narrative answers
    "list_header": {
        "en": "{count} narratives in the library:",
        "uk": "Наративів у бібліотеці: {count}",
        "ru": "Нарративов в библиотеке: {count}",
    },
    "search_header": {
        "en": "Narratives for “{words}”:",
        "uk": "Наративи за запитом «{words}»:",
        "ru": "Нарративы по запросу «{words}»:",
    },
    "search_none": {
        "en": "No narrative fits “{words}”. Try `/narrative list`.",
        "uk": "Жоден наратив не відповідає запиту «{words}». Спробуйте `/narrative list`.",
        "ru": "Ни один нарратив не подходит под запрос «{words}». Попробуйте `/narrative list`.",
    },
    "check_found": {"en": "Narrative found.", "uk": "Знайдено наратив.", "ru": "Найден нарратив."},
    "check_possible": {
        "en": "Possible narrative (below the alert threshold).",
        "uk": "Можливий наратив (нижче порогу сповіщення).",
        "ru": "Возможный нарратив (ниже порога оповещения).",
    },
    "check_none": {
        "en": "No known narrative found.",
        "uk": "Відомих наративів не знайдено.",
        "ru": "Известных нарративов не найдено.",
    },
    "could_not_read": {
        "en": "Could not read {url}: {message}",
        "uk": "Не вдалося прочитати {url}: {message}",
        "ru": "Не удалось прочитать {url}: {message}",
    },
    "read_internal_error": {
        "en": "I couldn't read that link because of an internal error; it has been logged.",
        "uk": "Не вдалося прочитати посилання через внутрішню помилку; подробиці записано в журнал.",
        "ru": "Не удалось прочитать ссылку из-за внутренней ошибки; подробности записаны в журнал.",
    },
    "read_disabled": {
        "en": "Reading links is not enabled in this setup.",
        "uk": "Читання посилань у цьому розгортанні бота вимкнено.",
        "ru": "Чтение ссылок в этой установке бота отключено.",
    },
    "checking": {
        "en": "Checking… the result follows in a moment.",
        "uk": "Перевіряємо… відповідь надійде за кілька секунд.",
        "ru": "Проверяем… ответ придёт через несколько секунд.",
    },
    # -- an adapter's own answers: a command or a check that crashed, a message with nothing to check
    "internal_error": {
        "en": "Something went wrong; it has been logged.",
        "uk": "Щось пішло не так; подробиці записано в журнал.",
        "ru": "Что-то пошло не так; подробности записаны в журнал.",
    },
    "command_internal_error": {
        "en": "Something went wrong with that command; it has been logged.",
        "uk": "Під час виконання команди сталася помилка; подробиці записано в журнал.",
        "ru": "При выполнении команды произошла ошибка; подробности записаны в журнал.",
    },
    "no_text_to_check": {
        "en": "That message has no text I can check.",
        "uk": "У цьому повідомленні немає тексту, який можна перевірити.",
        "ru": "В этом сообщении нет текста, который можно проверить.",
    },
    # -- /narrative feeds
    "feeds_none": {
        "en": "This channel watches no feeds. Add one with `/narrative feeds add URL`.",
        "uk": "Цей канал не стежить за жодною стрічкою. Додайте її командою `/narrative feeds add URL`.",
        "ru": "Этот канал не следит ни за одной лентой. Добавьте её командой `/narrative feeds add URL`.",
    },
    "feeds_header": {
        "en": "Feeds watched here:",
        "uk": "Стрічки, за якими стежить цей канал:",
        "ru": "Ленты, за которыми следит этот канал:",
    },
    "feed_not_polled": {"en": " — not polled yet", "uk": " — ще не перевірялася", "ru": " — ещё не проверялась"},
    "feed_disabled": {
        "en": " — disabled after {count} {failures} ({error}); remove and add it to retry",
        "uk": " — вимкнена після {count} {failures} ({error}); щоб спробувати знову, видаліть її й додайте ще раз",
        "ru": " — отключена после {count} {failures} ({error}); чтобы попробовать снова, удалите её и добавьте ещё раз",
    },
    "feed_failing": {
        "en": " — failing ({count} in a row: {error})",
        "uk": " — не читається ({count} {failures} поспіль: {error})",
        "ru": " — не читается ({count} {failures} подряд: {error})",
    },
    "feed_ok": {"en": " — ok", "uk": " — працює", "ru": " — работает"},
    "feeds_not_url": {
        "en": "`{value}` is not an http(s) URL.",
        "uk": "`{value}` — не адреса http(s).",
        "ru": "`{value}` — не адрес http(s).",
    },
    "feeds_not_watched": {
        "en": "This channel does not watch {url}.",
        "uk": "Цей канал не стежить за {url}.",
        "ru": "Этот канал не следит за {url}.",
    },
    "feeds_stopped": {
        "en": "Stopped watching {url} here.",
        "uk": "Канал більше не стежить за {url}.",
        "ru": "Канал больше не следит за {url}.",
    },
    "feeds_usage": {
        "en": "Usage: `/narrative feeds add URL`, `feeds remove URL` or `feeds list`.",
        "uk": "Формат команди: `/narrative feeds add URL`, `feeds remove URL` або `feeds list`.",
        "ru": "Формат команды: `/narrative feeds add URL`, `feeds remove URL` или `feeds list`.",
    },
    "feeds_already": {
        "en": "This channel already watches {url}.",
        "uk": "Цей канал уже стежить за {url}.",
        "ru": "Этот канал уже следит за {url}.",
    },
    "feeds_refused": {
        "en": "I can't watch {url}: {problem}",
        "uk": "Не вдалося підписатися на {url}: {problem}",
        "ru": "Не удалось подписаться на {url}: {problem}",
    },
    "feeds_items_now": {
        "en": "{count} {items} now",
        "uk": "зараз {count} {items}",
        "ru": "сейчас {count} {items}",
    },
    "feeds_added": {
        "en": "Watching {url} here{about}. Items already in the feed are recorded silently; new ones that carry a "
        "narrative will be posted.",
        "uk": "Канал тепер стежить за {url}{about}. Записи, що вже є у стрічці, враховано без публікації; нові, "
        "у яких знайдеться наратив, з'являтимуться тут.",
        "ru": "Канал теперь следит за {url}{about}. Записи, которые уже есть в ленте, учтены без публикации; новые, "
        "в которых найдётся нарратив, будут появляться здесь.",
    },
    "help": {
        "en": "*/narrative* — recognise Kremlin talking points about the Russia–DPRK alliance.\n"
        "• `/narrative check TEXT|URL` — check a text and any links in it (add `--public` to show the result to the "
        "channel)\n"
        "• `/narrative search WORDS` — find narratives by words\n"
        "• `/narrative show ID [en|uk|ru]` — a narrative with its debunk and sources, in a language of your choice\n"
        "• `/narrative list [en|uk|ru]` — every narrative in the library\n"
        "• `/narrative feeds add URL` | `feeds remove URL` | `feeds list` — watch RSS/Atom feeds or Telegram "
        "channels here\n"
        "• `/narrative settings` — this channel's settings; `settings threshold N`, `mute ID`, `unmute ID`, "
        "`links on|off`, `thread on|off`, `language en|uk|ru|auto`, `digest on|off`, `reset` change them\n"
        "• `/narrative recent [N]` — this channel's latest alerts, with the feedback they got\n"
        "• `/narrative feedback [disputed|confirmed]` — the matches people marked right or wrong here\n"
        "• `/narrative digest on|off` — a weekly summary with a chart, posted here\n"
        "• `/narrative help` — this text",
        "uk": "*/narrative* — розпізнає кремлівські наративи про союз Росії та КНДР.\n"
        "• `/narrative check ТЕКСТ|URL` — перевірити текст і посилання в ньому (з `--public` результат побачить "
        "увесь канал)\n"
        "• `/narrative search СЛОВА` — знайти наративи за словами\n"
        "• `/narrative show ID [en|uk|ru]` — наратив зі спростуванням і джерелами, мовою на ваш вибір\n"
        "• `/narrative list [en|uk|ru]` — усі наративи бібліотеки\n"
        "• `/narrative feeds add URL` | `feeds remove URL` | `feeds list` — стежити тут за RSS/Atom-стрічками або "
        "Telegram-каналами\n"
        "• `/narrative settings` — налаштування цього каналу; змінюють їх `settings threshold N`, `mute ID`, "
        "`unmute ID`, `links on|off`, `thread on|off`, `language en|uk|ru|auto`, `digest on|off`, `reset`\n"
        "• `/narrative recent [N]` — останні сповіщення цього каналу та відгуки на них\n"
        "• `/narrative feedback [disputed|confirmed]` — збіги, які тут позначили правильними або хибними\n"
        "• `/narrative digest on|off` — щотижневий підсумок із графіком у цьому каналі\n"
        "• `/narrative help` — ця довідка",
        "ru": "*/narrative* — распознаёт кремлёвские нарративы о союзе России и КНДР.\n"
        "• `/narrative check ТЕКСТ|URL` — проверить текст и ссылки в нём (с `--public` результат увидит весь "
        "канал)\n"
        "• `/narrative search СЛОВА` — найти нарративы по словам\n"
        "• `/narrative show ID [en|uk|ru]` — нарратив с опровержением и источниками, на выбранном языке\n"
        "• `/narrative list [en|uk|ru]` — все нарративы библиотеки\n"
        "• `/narrative feeds add URL` | `feeds remove URL` | `feeds list` — следить здесь за RSS/Atom-лентами или "
        "Telegram-каналами\n"
        "• `/narrative settings` — настройки этого канала; меняют их `settings threshold N`, `mute ID`, "
        "`unmute ID`, `links on|off`, `thread on|off`, `language en|uk|ru|auto`, `digest on|off`, `reset`\n"
        "• `/narrative recent [N]` — последние оповещения этого канала и отзывы на них\n"
        "• `/narrative feedback [disputed|confirmed]` — совпадения, которые здесь отметили верными или ошибочными\n"
        "• `/narrative digest on|off` — еженедельная сводка с графиком в этом канале\n"
        "• `/narrative help` — эта справка",
    },
    "unknown_subcommand": {
        "en": "Unknown subcommand `{sub}`.",
        "uk": "Невідома команда `{sub}`.",
        "ru": "Неизвестная команда `{sub}`.",
    },
    "usage_show": {
        "en": "Usage: `/narrative show ID` (see `/narrative list`).",
        "uk": "Формат команди: `/narrative show ID` (див. `/narrative list`).",
        "ru": "Формат команды: `/narrative show ID` (см. `/narrative list`).",
    },
    "usage_search": {
        "en": "Usage: `/narrative search WORDS`.",
        "uk": "Формат команди: `/narrative search СЛОВА`.",
        "ru": "Формат команды: `/narrative search СЛОВА`.",
    },
    "usage_check": {
        "en": "Usage: `/narrative check TEXT|URL`.",
        "uk": "Формат команди: `/narrative check ТЕКСТ|URL`.",
        "ru": "Формат команды: `/narrative check ТЕКСТ|URL`.",
    },
    "no_narrative": {
        "en": "No narrative `{id}`.",
        "uk": "Наративу `{id}` немає.",
        "ru": "Нарратива `{id}` нет.",
    },
    "did_you_mean": {
        "en": " Did you mean {ids}?",
        "uk": " Можливо, ви мали на увазі {ids}?",
        "ru": " Возможно, вы имели в виду {ids}?",
    },
    "feedback_right": {
        "en": "Thanks — recorded that “{title}” was right here.",
        "uk": "Дякуємо — записано, що «{title}» тут визначено правильно.",
        "ru": "Спасибо — записано, что «{title}» здесь определён верно.",
    },
    "feedback_wrong": {
        "en": "Thanks — recorded that “{title}” was wrong here.",
        "uk": "Дякуємо — записано, що «{title}» тут визначено хибно.",
        "ru": "Спасибо — записано, что «{title}» здесь определён ошибочно.",
    },
    # -- the reason asked after a ❌ (the keys are bot.history.REASONS'; English says the same as there)
    "reason_wrong-narrative": {"en": "Wrong narrative", "uk": "Не той наратив", "ru": "Не тот нарратив"},
    "reason_not-propaganda": {"en": "Not propaganda", "uk": "Не пропаганда", "ru": "Не пропаганда"},
    "reason_fact-check": {"en": "A fact-check", "uk": "Це фактчек", "ru": "Это фактчек"},
    "reason_other": {"en": "Other", "uk": "Інше", "ru": "Другое"},
    "reason_ask": {
        "en": "Why was it wrong? (optional)",
        "uk": "Чому збіг хибний? (необов'язково)",
        "ru": "Почему совпадение ошибочное? (необязательно)",
    },
    "reason_noted": {
        "en": "Thanks — noted: {reason}. Editors see it in `narrative-bot feedback list`.",
        "uk": "Дякуємо — зазначено: {reason}. Редактори побачать це в `narrative-bot feedback list`.",
        "ru": "Спасибо — отмечено: {reason}. Редакторы увидят это в `narrative-bot feedback list`.",
    },
    "reason_not_recorded": {
        "en": "That reason could not be recorded (the ❌ it belongs to was changed or not found).",
        "uk": "Цю причину не вдалося зберегти (❌, до якого вона належить, змінено або не знайдено).",
        "ru": "Эту причину не удалось сохранить (❌, к которому она относится, изменён или не найден).",
    },
    # -- /narrative settings. The setting names and values people type (threshold, links, on, auto…) stay as
    # they are typed in every language. {low}–{high}: the threshold bounds (bot.channel_settings).
    "settings_usage": {
        "en": "Usage: `/narrative settings` (show), `settings threshold {low}–{high}`, `settings mute ID`, "
        "`settings unmute ID`, `settings links on|off`, `settings thread on|off`, `settings language en|uk|ru|auto`, "
        "`settings digest on|off`, `settings reset [NAME]`.",
        "uk": "Формат команди: `/narrative settings` (показати), `settings threshold {low}–{high}`, "
        "`settings mute ID`, `settings unmute ID`, `settings links on|off`, `settings thread on|off`, "
        "`settings language en|uk|ru|auto`, `settings digest on|off`, `settings reset [НАЗВА]`.",
        "ru": "Формат команды: `/narrative settings` (показать), `settings threshold {low}–{high}`, "
        "`settings mute ID`, `settings unmute ID`, `settings links on|off`, `settings thread on|off`, "
        "`settings language en|uk|ru|auto`, `settings digest on|off`, `settings reset [ИМЯ]`.",
    },
    "settings_unknown": {
        "en": "Unknown setting `{name}`. {usage}",
        "uk": "Невідоме налаштування `{name}`. {usage}",
        "ru": "Неизвестная настройка `{name}`. {usage}",
    },
    "settings_on_off": {
        "en": "`{name}` takes `on` or `off`, not `{value}`.",
        "uk": "`{name}` приймає лише `on` або `off`, а не `{value}`.",
        "ru": "`{name}` принимает только `on` или `off`, а не `{value}`.",
    },
    "settings_threshold_number": {
        "en": "The threshold is a whole number from {low} to {high}.",
        "uk": "Поріг — ціле число від {low} до {high}.",
        "ru": "Порог — целое число от {low} до {high}.",
    },
    "settings_threshold_range": {
        "en": "The threshold must be from {low} (the suggest threshold) to {high}, not {number}.",
        "uk": "Поріг має бути від {low} (поріг можливого наративу) до {high}, а не {number}.",
        "ru": "Порог должен быть от {low} (порог возможного нарратива) до {high}, а не {number}.",
    },
    "settings_threshold_set": {
        "en": "Alert threshold here is now {number}: matches scoring below it are not posted.",
        "uk": "Поріг сповіщення тут тепер {number}: збіги з нижчою оцінкою не публікуються.",
        "ru": "Порог оповещения здесь теперь {number}: совпадения с оценкой ниже не публикуются.",
    },
    "settings_links_on": {
        "en": "Pasted links are read and answered here.",
        "uk": "Тут бот читає надіслані посилання й відповідає на них.",
        "ru": "Здесь бот читает присланные ссылки и отвечает на них.",
    },
    "settings_links_off": {
        "en": "Pasted links are no longer read here (messages that state a claim still are).",
        "uk": "Надіслані посилання тут більше не читаються (повідомлення з твердженнями бот і далі перевіряє).",
        "ru": "Присланные ссылки здесь больше не читаются (сообщения с утверждениями бот по-прежнему проверяет).",
    },
    "settings_thread_on": {
        "en": "Feed alerts here now come as one line, with the card in its thread.",
        "uk": "Сповіщення зі стрічок тут тепер надходять одним рядком, а картка — у гілці під ним.",
        "ru": "Оповещения из лент здесь теперь приходят одной строкой, а карточка — в ветке под ней.",
    },
    "settings_thread_off": {
        "en": "Feed alerts here now come as full cards in the channel.",
        "uk": "Сповіщення зі стрічок тут тепер надходять повними картками просто в канал.",
        "ru": "Оповещения из лент здесь теперь приходят полными карточками прямо в канал.",
    },
    "settings_digest_on": {
        "en": "The weekly digest is on for this channel.",
        "uk": "Щотижневий підсумок у цьому каналі увімкнено.",
        "ru": "Еженедельная сводка в этом канале включена.",
    },
    "settings_digest_off": {
        "en": "The weekly digest is off for this channel.",
        "uk": "Щотижневий підсумок у цьому каналі вимкнено.",
        "ru": "Еженедельная сводка в этом канале выключена.",
    },
    "settings_language_bad": {
        "en": "The language is one of {choices}, not `{value}`.",
        "uk": "Мова має бути однією з {choices}, а не `{value}`.",
        "ru": "Язык должен быть одним из {choices}, а не `{value}`.",
    },
    "settings_language_auto": {
        "en": "Replies here now follow the language of the text they answer.",
        "uk": "Відповіді тут тепер тією мовою, якою написано текст.",
        "ru": "Ответы здесь теперь на том языке, на котором написан текст.",
    },
    # {name}: the language chosen as LANGUAGE_NAMES_IN gives it ("українською", "на украинском").
    "settings_language_set": {
        "en": "Replies here are now in {code}.",
        "uk": "Відповіді тут тепер {name} ({code}).",
        "ru": "Ответы здесь теперь на {name} ({code}).",
    },
    "settings_mute_usage": {
        "en": "Usage: `/narrative settings {verb} ID` (see `/narrative list`).",
        "uk": "Формат команди: `/narrative settings {verb} ID` (див. `/narrative list`).",
        "ru": "Формат команды: `/narrative settings {verb} ID` (см. `/narrative list`).",
    },
    "settings_mute_unknown": {
        "en": "No narrative {ids} in the library; nothing was muted. See `/narrative list`.",
        "uk": "У бібліотеці немає: {ids}; нічого не змінено. Див. `/narrative list`.",
        "ru": "В библиотеке нет: {ids}; ничего не изменено. См. `/narrative list`.",
    },
    "settings_not_muted": {
        "en": "{ids} is not muted here; nothing was changed.",
        "uk": "Тут і так публікуються: {ids}; нічого не змінено.",
        "ru": "Здесь и так публикуются: {ids}; ничего не изменено.",
    },
    "settings_muted": {
        "en": "Muted {ids} here.",
        "uk": "Тут більше не публікуються: {ids}.",
        "ru": "Здесь больше не публикуются: {ids}.",
    },
    "settings_unmuted": {
        "en": "{ids} will be posted here again.",
        "uk": "Тут знову публікуються: {ids}.",
        "ru": "Здесь снова публикуются: {ids}.",
    },
    "settings_reset_all": {
        "en": "Every setting here is back to its default.",
        "uk": "Усі налаштування тут знову типові.",
        "ru": "Все настройки здесь снова по умолчанию.",
    },
    "settings_reset_nothing": {
        "en": "This channel uses the defaults.",
        "uk": "Цей канал і так має типові налаштування.",
        "ru": "В этом канале и так настройки по умолчанию.",
    },
    "settings_reset_some": {
        "en": "{names} back to the default here.",
        "uk": "Тут знову типове значення: {names}.",
        "ru": "Здесь снова значение по умолчанию: {names}.",
    },
    "settings_reset_unknown": {
        "en": "Unknown setting `{name}`: one of {names}.",
        "uk": "Невідоме налаштування `{name}`; можливі: {names}.",
        "ru": "Неизвестная настройка `{name}`; допустимые: {names}.",
    },
    "settings_header": {
        "en": "Settings for this channel:",
        "uk": "Налаштування цього каналу:",
        "ru": "Настройки этого канала:",
    },
    "settings_default": {"en": "default", "uk": "типово", "ru": "по умолчанию"},
    "settings_default_from": {"en": "default ({env})", "uk": "типово ({env})", "ru": "по умолчанию ({env})"},
    "settings_set_on": {"en": "set here on {date}", "uk": "задано тут {date}", "ru": "задано здесь {date}"},
    "settings_set_by": {
        "en": "set here by {who} on {date}",
        "uk": "задано тут ({who}, {date})",
        "ru": "задано здесь ({who}, {date})",
    },
    "settings_gone": {
        "en": " (no longer in the library)",
        "uk": " (більше немає в бібліотеці)",
        "ru": " (больше нет в библиотеке)",
    },
    "settings_none": {"en": "none", "uk": "немає", "ru": "нет"},
    "settings_value_on": {"en": "on", "uk": "увімк.", "ru": "вкл."},
    "settings_value_off": {"en": "off", "uk": "вимк.", "ru": "выкл."},
    "settings_footer": {
        "en": "Change one with `/narrative settings NAME VALUE`; `/narrative settings reset` restores the defaults.",
        "uk": "Змінити: `/narrative settings НАЗВА ЗНАЧЕННЯ`; `/narrative settings reset` повертає типові "
        "налаштування.",
        "ru": "Изменить: `/narrative settings ИМЯ ЗНАЧЕНИЕ`; `/narrative settings reset` возвращает настройки по "
        "умолчанию.",
    },
    # -- /narrative recent and /narrative feedback
    "recent_none": {
        "en": "No alerts in this channel yet.",
        "uk": "У цьому каналі ще не було сповіщень.",
        "ru": "В этом канале пока не было оповещений.",
    },
    # {alerts}: LATEST_ALERTS for the count.
    "recent_header": {
        "en": "Latest {count} {alerts} here, newest first:",
        "uk": "{count} {alerts} тут, спершу новіші:",
        "ru": "{count} {alerts} здесь, сначала новые:",
    },
    "recent_usage": {
        "en": "Usage: `/narrative recent [N]` (N up to {max}).",
        "uk": "Формат команди: `/narrative recent [N]` (N — не більше ніж {max}).",
        "ru": "Формат команды: `/narrative recent [N]` (N — не больше {max}).",
    },
    "recent_usage_range": {
        "en": "Usage: `/narrative recent [N]` (N from 1 to {max}).",
        "uk": "Формат команди: `/narrative recent [N]` (N — від 1 до {max}).",
        "ru": "Формат команды: `/narrative recent [N]` (N — от 1 до {max}).",
    },
    "origin_feed": {"en": "feed", "uk": "стрічка", "ru": "лента"},
    "origin_chat": {"en": "chat", "uk": "чат", "ru": "чат"},
    "feedback_none_yet": {"en": "no feedback yet", "uk": "відгуків ще немає", "ru": "отзывов пока нет"},
    "feedback_counts": {
        "en": "{right} right, {wrong} wrong{reason}",
        "uk": "правильно: {right}, хибно: {wrong}{reason}",
        "ru": "верно: {right}, ошибочно: {wrong}{reason}",
    },
    "feedback_usage": {
        "en": "Usage: `/narrative feedback [disputed|confirmed]`.",
        "uk": "Формат команди: `/narrative feedback [disputed|confirmed]`.",
        "ru": "Формат команды: `/narrative feedback [disputed|confirmed]`.",
    },
    "feedback_export_hint": {
        "en": "`narrative-bot feedback export` writes them as candidate library entries for review.",
        "uk": "Команда `narrative-bot feedback export` збереже їх як чернетки записів бібліотеки для перевірки "
        "редакторами.",
        "ru": "Команда `narrative-bot feedback export` сохранит их как черновики записей библиотеки для проверки "
        "редакторами.",
    },
    "reviewed_none": {
        "en": "No feedback yet on the alerts in this period.",
        "uk": "На сповіщення за цей період відгуків ще немає.",
        "ru": "На оповещения за этот период отзывов пока нет.",
    },
    "reviewed_disputed": {"en": "Disputed ({count}):", "uk": "Оскаржені ({count}):", "ru": "Оспоренные ({count}):"},
    "reviewed_confirmed": {
        "en": "Confirmed ({count}):",
        "uk": "Підтверджені ({count}):",
        "ru": "Подтверждённые ({count}):",
    },
    "reviewed_reason": {"en": " — reason: {reason}", "uk": " — причина: {reason}", "ru": " — причина: {reason}"},
    "reviewed_evidence": {"en": "  Evidence: “{text}”", "uk": "  Цитата: «{text}»", "ru": "  Цитата: «{text}»"},
    "reviewed_text": {"en": "  Text: “{text}”", "uk": "  Текст: «{text}»", "ru": "  Текст: «{text}»"},
    "reviewed_source": {"en": "  Source: {url}", "uk": "  Джерело: {url}", "ru": "  Источник: {url}"},
    # -- /narrative digest and the weekly digest itself
    "digest_status_on": {
        "en": "The weekly digest is on in this channel (`/narrative digest off` to turn it off).",
        "uk": "Щотижневий підсумок у цьому каналі увімкнено (вимкнути: `/narrative digest off`).",
        "ru": "Еженедельная сводка в этом канале включена (выключить: `/narrative digest off`).",
    },
    "digest_status_off": {
        "en": "The weekly digest is off in this channel (`/narrative digest on` to turn it on).",
        "uk": "Щотижневий підсумок у цьому каналі вимкнено (увімкнути: `/narrative digest on`).",
        "ru": "Еженедельная сводка в этом канале выключена (включить: `/narrative digest on`).",
    },
    "digest_usage": {
        "en": "Usage: `/narrative digest on|off`.",
        "uk": "Формат команди: `/narrative digest on|off`.",
        "ru": "Формат команды: `/narrative digest on|off`.",
    },
    "digest_turned_on": {
        "en": "Weekly digest on: once a week this channel gets a short summary of its alerts, with a chart of "
        "narratives by week. The first one follows within minutes.",
        "uk": "Щотижневий підсумок увімкнено: раз на тиждень цей канал отримуватиме короткий огляд своїх сповіщень "
        "із графіком наративів за тижнями. Перший надійде за кілька хвилин.",
        "ru": "Еженедельная сводка включена: раз в неделю этот канал будет получать краткий обзор своих оповещений "
        "с графиком нарративов по неделям. Первая сводка придёт в течение нескольких минут.",
    },
    "digest_turned_off": {
        "en": "Weekly digest off for this channel.",
        "uk": "Щотижневий підсумок для цього каналу вимкнено.",
        "ru": "Еженедельная сводка для этого канала выключена.",
    },
    "digest_empty": {
        "en": "Weekly narrative digest: no known narrative was flagged in this channel in the last 7 days.",
        "uk": "Щотижневий підсумок наративів: за останні 7 днів у цьому каналі не виявлено жодного відомого наративу.",
        "ru": "Еженедельная сводка нарративов: за последние 7 дней в этом канале не найдено ни одного известного "
        "нарратива.",
    },
    # {alerts}: ALERTS for the count.
    "digest_header": {
        "en": "Weekly narrative digest: {count} {alerts} in the last 7 days.",
        "uk": "Щотижневий підсумок наративів: {count} {alerts} за останні 7 днів.",
        "ru": "Еженедельная сводка нарративов: {count} {alerts} за последние 7 дней.",
    },
    "digest_line": {
        "en": "• {title} (`{id}`): {count}, best score {score}/100",
        "uk": "• {title} (`{id}`): {count}, найвища оцінка {score}/100",
        "ru": "• {title} (`{id}`): {count}, лучшая оценка {score}/100",
    },
    "digest_feedback": {
        "en": "Feedback: {right} marked right, {wrong} marked wrong.",
        "uk": "Відгуки: правильно — {right}, хибно — {wrong}.",
        "ru": "Отзывы: верно — {right}, ошибочно — {wrong}.",
    },
    "digest_footer": {
        "en": "The chart shows narratives by week; `/narrative recent` lists the latest alerts.",
        "uk": "На графіку — наративи за тижнями; `/narrative recent` покаже останні сповіщення.",
        "ru": "На графике — нарративы по неделям; `/narrative recent` покажет последние оповещения.",
    },
    # The digest's chart (bot/chart.py) and the file it is uploaded as.
    "chart_title": {
        "en": "Known narratives flagged per week",
        "uk": "Відомі наративи, виявлені за тижнями",
        "ru": "Известные нарративы, найденные по неделям",
    },
    "chart_week_axis": {"en": "week starting (UTC)", "uk": "початок тижня (UTC)", "ru": "начало недели (UTC)"},
    "chart_alerts_axis": {"en": "alerts", "uk": "сповіщення", "ru": "оповещения"},
    "chart_other": {"en": "other", "uk": "інші", "ru": "другие"},
    "chart_empty": {
        "en": "no alerts in these weeks",
        "uk": "за ці тижні сповіщень немає",
        "ru": "за эти недели оповещений нет",
    },
    "digest_upload_title": {
        "en": "Known narratives per week ({week})",
        "uk": "Відомі наративи за тижнями ({week})",
        "ru": "Известные нарративы по неделям ({week})",
    },
    "digest_chart_alt": {
        "en": "Bar chart of known narratives flagged per week",
        "uk": "Стовпчикова діаграма відомих наративів, виявлених за тижнями",
        "ru": "Столбчатая диаграмма известных нарративов, найденных по неделям",
    },
    # -- who may change a channel (bot/permissions.py). Discord shows its permission in the reader's own client
    # language, so the Ukrainian and Russian texts give its English name too.
    "refusal_discord": {
        "en": "Changing this channel's settings or feeds needs the Manage Channels permission in this channel. "
        "`/narrative settings` shows them to everyone.",
        "uk": "Щоб змінювати налаштування або стрічки цього каналу, потрібен дозвіл «Керувати каналами» (Manage "
        "Channels) у цьому каналі. `/narrative settings` показує їх усім.",
        "ru": "Чтобы менять настройки или ленты этого канала, нужно право «Управлять каналами» (Manage Channels) "
        "в этом канале. `/narrative settings` показывает их всем.",
    },
    "refusal_discord_digest": {
        "en": "Turning the weekly digest on or off needs the Manage Channels permission in this channel.",
        "uk": "Щоб увімкнути або вимкнути щотижневий підсумок, потрібен дозвіл «Керувати каналами» (Manage "
        "Channels) у цьому каналі.",
        "ru": "Чтобы включить или выключить еженедельную сводку, нужно право «Управлять каналами» (Manage "
        "Channels) в этом канале.",
    },
    # {group}: refusal_slack_group when a user group may change settings too, else nothing.
    "refusal_slack": {
        "en": "Only workspace admins and owners{group} can change this channel's settings or feeds. "
        "`/narrative settings` and `/narrative feeds list` show them to everyone.",
        "uk": "Змінювати налаштування та стрічки цього каналу можуть лише адміністратори й власники робочого "
        "простору{group}. `/narrative settings` і `/narrative feeds list` показують їх усім.",
        "ru": "Менять настройки и ленты этого канала могут только администраторы и владельцы рабочего "
        "пространства{group}. `/narrative settings` и `/narrative feeds list` показывают их всем.",
    },
    "refusal_slack_group": {
        "en": " and members of the user group <!subteam^{group}>",
        "uk": " та учасники групи користувачів <!subteam^{group}>",
        "ru": " и участники группы пользователей <!subteam^{group}>",
    },
    "refusal_slack_unchecked": {
        "en": "I could not check your permissions with Slack just now, so nothing was changed; please try again. "
        "(The bot needs the `users:read` and `usergroups:read` scopes.)",
        "uk": "Зараз не вдалося перевірити ваші права в Slack, тому нічого не змінено; спробуйте ще раз. (Ботові "
        "потрібні дозволи `users:read` і `usergroups:read`.)",
        "ru": "Сейчас не удалось проверить ваши права в Slack, поэтому ничего не изменено; попробуйте ещё раз. "
        "(Боту нужны разрешения `users:read` и `usergroups:read`.)",
    },
    # -- the line for a feed poll's matching items beyond those posted; {items}: ITEMS for the count. {feed} is
    # "Title (URL)" in English, "«Title» (URL)" otherwise, or the URL alone.
    "feed_more_items": {
        "en": "…and {count} more matching {items} from {feed}",
        "uk": "…і ще збігів зі стрічки {feed}: {count}",
        "ru": "…и ещё совпадений из ленты {feed}: {count}",
    },
    # -- a feed given up after repeated failures; {attempts}: FAILED_ATTEMPTS for the count.
    "feed_disabled_notice": {
        "en": "Stopped watching {feed} after {count} {attempts} in a row (last: {error}). Remove it and add it "
        "again to retry.",
        "uk": "Канал більше не стежить за стрічкою {feed} після {count} {attempts} поспіль (остання помилка: "
        "{error}). Щоб спробувати знову, видаліть її й додайте ще раз.",
        "ru": "Канал больше не следит за лентой {feed} после {count} {attempts} подряд (последняя ошибка: "
        "{error}). Чтобы попробовать снова, удалите её и добавьте ещё раз.",
    },
}

# Noun forms for a count (one, few, many: see bot.read_reasons.plural). "Failures" follows a preposition that
# takes the genitive in Ukrainian and Russian ("після 1 невдалої спроби", "после 5 неудачных попыток"), and
# stands alone after a count in the "failing" line.
ITEMS: dict[Lang, tuple[str, str, str]] = {
    "en": ("item", "items", "items"),
    "uk": ("запис", "записи", "записів"),
    "ru": ("запись", "записи", "записей"),
}
FAILURES: dict[Lang, tuple[str, str, str]] = {
    "en": ("failure", "failures", "failures"),
    "uk": ("невдалої спроби", "невдалих спроб", "невдалих спроб"),
    "ru": ("неудачной попытки", "неудачных попыток", "неудачных попыток"),
}
FAILURES_IN_A_ROW: dict[Lang, tuple[str, str, str]] = {
    "en": ("", "", ""),
    "uk": ("збій", "збої", "збоїв"),
    "ru": ("сбой", "сбоя", "сбоев"),
}
# After "after" in the disabled-feed notice: the genitive of FAILURES in Ukrainian and Russian.
FAILED_ATTEMPTS: dict[Lang, tuple[str, str, str]] = {
    "en": ("failed attempt", "failed attempts", "failed attempts"),
    "uk": FAILURES["uk"],
    "ru": FAILURES["ru"],
}
# Alerts counted in the weekly digest ("5 оповещений"), and the latest ones `recent` lists, where the adjective
# agrees with the count too ("2 останні сповіщення", "5 последних оповещений").
ALERTS: dict[Lang, tuple[str, str, str]] = {
    "en": ("alert", "alerts", "alerts"),
    "uk": ("сповіщення", "сповіщення", "сповіщень"),
    "ru": ("оповещение", "оповещения", "оповещений"),
}
LATEST_ALERTS: dict[Lang, tuple[str, str, str]] = {
    "en": ("alert", "alerts", "alerts"),
    "uk": ("останнє сповіщення", "останні сповіщення", "останніх сповіщень"),
    "ru": ("последнее оповещение", "последних оповещения", "последних оповещений"),
}
# A language named as "replies are now in …" needs it: "українською", "на русском".
LANGUAGE_NAMES_IN: dict[Lang, dict[Lang, str]] = {
    "en": {"en": "English", "uk": "Ukrainian", "ru": "Russian"},
    "uk": {"en": "англійською", "uk": "українською", "ru": "російською"},
    "ru": {"en": "английском", "uk": "украинском", "ru": "русском"},
}


def word(key: str, lang: Lang, **values: object) -> str:
    """A fixed word or phrase in `lang` (English when a translation is missing, so a card never shows a blank
    label), with `{placeholders}` filled from `values`."""
    entry = WORDS[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def reason_label(reason: str, lang: Lang) -> str:
    """One of the reasons a ❌ may carry (a key of bot.history.REASONS) as people are offered it in `lang`; a key
    this table does not know is shown as it is."""
    return word(f"reason_{reason}", lang) if f"reason_{reason}" in WORDS else reason


def parse_language(value: str | None) -> Lang | None:
    """`en`, `uk` or `ru` (any case) as a language; anything else is None."""
    return as_language(value)


def reply_language(text: str, setting: Lang | None = None) -> Lang:
    """The language to answer `text` in: the channel's setting when there is one, else the text's own language,
    else English."""
    if setting is not None:
        return setting
    return text_language(text) or "en"


# The matcher names its evidence in English ("similar phrasing", "stance words: …", "model …: 87% this talking
# point, closer to …"); a card in another language says the same in its reader's words. The quoted stance words
# stay as they were found in the text.
_MODEL_SIGNAL = re.compile(r"^model (?P<model>[^:]+): (?P<parts>.+)$")
_SHARE = re.compile(r"^(?P<share>\d+%) this talking point$")
_CLOSER = re.compile(r"^(?P<negated>not )?closer to its phrasings than to neutral reports$")
_SIGNAL_WORDS: dict[str, dict[Lang, str]] = {
    "similar phrasing": {"en": "similar phrasing", "uk": "схоже формулювання", "ru": "похожая формулировка"},
    "stance words": {"en": "stance words", "uk": "оцінні слова", "ru": "оценочные слова"},
}
# The model signal names only what the fitted blend weighs: the probability, the margin, or both (", " between).
_MODEL_WORDS: dict[Lang, str] = {"uk": "модель", "ru": "модель"}
_SHARE_WORDS: dict[Lang, str] = {"uk": "{share} — цей наратив", "ru": "{share} — этот нарратив"}
_CLOSER_WORDS: dict[Lang, tuple[str, str]] = {
    "uk": ("ближче до його формулювань, ніж до нейтральних повідомлень",
           "не ближче до його формулювань, ніж до нейтральних повідомлень"),
    "ru": ("ближе к его формулировкам, чем к нейтральным сообщениям",
           "не ближе к его формулировкам, чем к нейтральным сообщениям"),
}  # fmt: skip


def _model_part(part: str, lang: Lang) -> str | None:
    share = _SHARE.match(part)
    if share:
        return _SHARE_WORDS[lang].format(share=share["share"])
    closer = _CLOSER.match(part)
    if closer:
        return _CLOSER_WORDS[lang][1 if closer["negated"] else 0]
    return None


def translate_signal(signal: str, lang: Lang) -> str:
    """One of the matcher's signals in `lang`; a signal of a form this table does not know is shown as it is."""
    if lang == "en":
        return signal
    if signal in _SIGNAL_WORDS:
        return _SIGNAL_WORDS[signal][lang]
    label, sep, found = signal.partition(": ")
    if sep and label in _SIGNAL_WORDS:
        return f"{_SIGNAL_WORDS[label][lang]}: {found}"
    model = _MODEL_SIGNAL.match(signal)
    if model:
        parts = [_model_part(part, lang) for part in model["parts"].split(", ")]
        if all(parts):
            return f"{_MODEL_WORDS[lang]} {model['model']}: " + ", ".join(p for p in parts if p)
    return signal
