"""The Discord slash commands' descriptions in Ukrainian and Russian, for discord.py's app-command Translator.

discord.py turns every command, group and parameter description into a `locale_str` (auto_locale_strings) and,
when the command tree has a Translator, asks it for each of Discord's locales as the commands are synced; the
answers go out as `description_localizations`, which Discord shows to people whose client is in that language.
The names stay English in every locale: they are what people type and what the help text names.
"""

from __future__ import annotations

import discord
from discord import app_commands

from matchers import Lang

__all__ = ["DESCRIPTIONS", "DESCRIPTION_MAX", "CommandTranslator", "description_in"]

DESCRIPTION_MAX = 100  # Discord's limit on a command's or an option's description, in every locale

# The English description as the adapter writes it -> the Ukrainian and Russian ones.
DESCRIPTIONS: dict[str, dict[Lang, str]] = {
    "Recognise Kremlin talking points about Russia and the DPRK": {
        "uk": "Розпізнає кремлівські наративи про Росію та КНДР",
        "ru": "Распознаёт кремлёвские нарративы о России и КНДР",
    },
    "Watch RSS/Atom feeds or Telegram channels in this channel": {
        "uk": "Стежити в цьому каналі за RSS/Atom-стрічками або Telegram-каналами",
        "ru": "Следить в этом канале за RSS/Atom-лентами или Telegram-каналами",
    },
    "This channel's settings (changes: Manage Channels)": {
        "uk": "Налаштування цього каналу (змінювати: дозвіл «Керувати каналами»)",
        "ru": "Настройки этого канала (менять: право «Управлять каналами»)",
    },
    "What the bot does and how to use it": {
        "uk": "Що вміє бот і як ним користуватися",
        "ru": "Что умеет бот и как им пользоваться",
    },
    "Every narrative in the library": {
        "uk": "Усі наративи бібліотеки",
        "ru": "Все нарративы библиотеки",
    },
    "The language of the titles (default: the channel's, else English)": {
        "uk": "Мова назв (типово — мова каналу, інакше англійська)",
        "ru": "Язык названий (по умолчанию — язык канала, иначе английский)",
    },
    "A narrative with its debunk and sources": {
        "uk": "Наратив зі спростуванням і джерелами",
        "ru": "Нарратив с опровержением и источниками",
    },
    "The narrative's id (start typing to search)": {
        "uk": "Ідентифікатор наративу (почніть вводити, щоб шукати)",
        "ru": "Идентификатор нарратива (начните вводить, чтобы искать)",
    },
    "The language of the debunk (default: the channel's, else English)": {
        "uk": "Мова спростування (типово — мова каналу, інакше англійська)",
        "ru": "Язык опровержения (по умолчанию — язык канала, иначе английский)",
    },
    "Find narratives by words": {
        "uk": "Знайти наративи за словами",
        "ru": "Найти нарративы по словам",
    },
    "Words from a claim, title or topic": {
        "uk": "Слова з твердження, назви чи теми",
        "ru": "Слова из утверждения, названия или темы",
    },
    "Check a text or a link for known narratives": {
        "uk": "Перевірити текст або посилання на відомі наративи",
        "ru": "Проверить текст или ссылку на известные нарративы",
    },
    "A text or one URL": {
        "uk": "Текст або одна URL-адреса",
        "ru": "Текст или один URL-адрес",
    },
    "Show the result to the channel (default: only you)": {
        "uk": "Показати результат усьому каналу (типово — лише вам)",
        "ru": "Показать результат всему каналу (по умолчанию — только вам)",
    },
    "This channel's latest alerts, with their feedback": {
        "uk": "Останні сповіщення цього каналу з відгуками на них",
        "ru": "Последние оповещения этого канала с отзывами на них",
    },
    "How many (default 10, at most 25)": {
        "uk": "Скільки (типово 10, не більше ніж 25)",
        "ru": "Сколько (по умолчанию 10, не больше 25)",
    },
    "Matches people marked right or wrong in this channel": {
        "uk": "Збіги, які в цьому каналі позначили правильними або хибними",
        "ru": "Совпадения, которые в этом канале отметили верными или ошибочными",
    },
    "Only disputed or only confirmed matches (default: both)": {
        "uk": "Лише оскаржені або лише підтверджені збіги (типово — усі)",
        "ru": "Только оспоренные или только подтверждённые совпадения (по умолчанию — все)",
    },
    "A weekly summary with a chart, posted in this channel": {
        "uk": "Щотижневий підсумок із графіком у цьому каналі",
        "ru": "Еженедельная сводка с графиком в этом канале",
    },
    "on, off, or status (default)": {
        "uk": "on, off або status (типово)",
        "ru": "on, off или status (по умолчанию)",
    },
    "Watch a feed (RSS/Atom URL or @telegram_channel) in this channel": {
        "uk": "Стежити в цьому каналі за стрічкою (адреса RSS/Atom або @telegram_channel)",
        "ru": "Следить в этом канале за лентой (адрес RSS/Atom или @telegram_channel)",
    },
    "Feed URL, t.me link or @channel": {
        "uk": "Адреса стрічки, посилання t.me або @канал",
        "ru": "Адрес ленты, ссылка t.me или @канал",
    },
    "Stop watching a feed in this channel": {
        "uk": "Більше не стежити в цьому каналі за стрічкою",
        "ru": "Больше не следить в этом канале за лентой",
    },
    "A feed this channel watches": {
        "uk": "Стрічка, за якою стежить цей канал",
        "ru": "Лента, за которой следит этот канал",
    },
    "Feeds watched in this channel": {
        "uk": "Стрічки, за якими стежить цей канал",
        "ru": "Ленты, за которыми следит этот канал",
    },
    "This channel's settings and where each comes from": {
        "uk": "Налаштування цього каналу і звідки кожне з них",
        "ru": "Настройки этого канала и откуда каждая из них",
    },
    "The score (0-100) from which a match is posted here": {
        "uk": "Оцінка (0–100), від якої збіг публікується тут",
        "ru": "Оценка (0–100), начиная с которой совпадение публикуется здесь",
    },
    # The lower bound is the suggest threshold, which a deployment may configure: the answer to a number out of
    # range names both bounds, so the description does not fix one.
    "A whole number from the suggest threshold to 100 (the bot names both if it is out of range)": {
        "uk": "Ціле число від порогу можливого наративу до 100 (якщо воно поза межами, бот назве обидві)",
        "ru": "Целое число от порога возможного нарратива до 100 (если оно вне границ, бот назовёт обе)",
    },
    "Stop posting a narrative in this channel": {
        "uk": "Більше не публікувати наратив у цьому каналі",
        "ru": "Больше не публиковать нарратив в этом канале",
    },
    "Post a muted narrative in this channel again": {
        "uk": "Знову публікувати вимкнений наратив у цьому каналі",
        "ru": "Снова публиковать отключённый нарратив в этом канале",
    },
    "A narrative muted here": {
        "uk": "Наратив, вимкнений тут",
        "ru": "Нарратив, отключённый здесь",
    },
    "Whether links pasted here are read and answered": {
        "uk": "Чи читати надіслані тут посилання й відповідати на них",
        "ru": "Читать ли присланные здесь ссылки и отвечать ли на них",
    },
    "Whether feed alerts here put their card in a thread": {
        "uk": "Чи класти картку сповіщення зі стрічки в гілку",
        "ru": "Помещать ли карточку оповещения из ленты в ветку",
    },
    "The language of replies here (auto: the text's own)": {
        "uk": "Мова відповідей тут (auto — мова самого тексту)",
        "ru": "Язык ответов здесь (auto — язык самого текста)",
    },
    "Whether this channel gets the weekly digest": {
        "uk": "Чи отримує цей канал щотижневий підсумок",
        "ru": "Получает ли этот канал еженедельную сводку",
    },
    "Put one setting, or all, back to the default": {
        "uk": "Повернути типове значення одного налаштування або всіх",
        "ru": "Вернуть значение по умолчанию для одной настройки или всех",
    },
    "The setting to reset (leave empty for all)": {
        "uk": "Налаштування, яке скинути (порожньо — усі)",
        "ru": "Настройка, которую сбросить (пусто — все)",
    },
}

# Discord's locales for the languages above (Ukrainian is `uk`, Russian `ru`).
_LOCALES: dict[discord.Locale, Lang] = {discord.Locale.ukrainian: "uk", discord.Locale.russian: "ru"}
_DESCRIBED = (
    app_commands.TranslationContextLocation.command_description,
    app_commands.TranslationContextLocation.group_description,
    app_commands.TranslationContextLocation.parameter_description,
)


def description_in(english: str, lang: Lang) -> str | None:
    """A command's or option's description in `lang`; None when this table has none (English is as written)."""
    return DESCRIPTIONS.get(english, {}).get(lang)


class CommandTranslator(app_commands.Translator):
    """Gives discord.py the Ukrainian and Russian descriptions; every other string and locale keeps its English."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        lang = _LOCALES.get(locale)
        if lang is None or context.location not in _DESCRIBED:
            return None
        return description_in(string.message, lang)
