"""Translations are cached per span: in memory, and in SQLite across restarts."""

from __future__ import annotations

import threading
from pathlib import Path

from storage.store import Store
from storage.translations import SqliteSpanCache
from translate.translator import AsyncTranslator, Translator


def test_migration_creates_the_cache_table(tmp_path: Path) -> None:
    store = Store(tmp_path / "mjbot.db")
    assert store.db["translations"].pks == ["backend", "source"]
    assert "m003_translation_cache" in {row["name"] for row in store.db["_sqlite_migrations"].rows}
    store.close()


def test_sqlite_cache_round_trip_per_backend_tag(tmp_path: Path) -> None:
    cache = SqliteSpanCache(tmp_path / "mjbot.db")
    cache.put_many("t1", {"猫": "cat", "狗": "dog"})
    cache.put_many("t1", {"猫": "kitty"})  # a newer translation replaces the old one
    assert cache.get_many("t1", ["猫", "狗", "鸟"]) == {"猫": "kitty", "狗": "dog"}
    assert cache.get_many("t2", ["猫"]) == {}
    cache.close()
    reopened = SqliteSpanCache(tmp_path / "mjbot.db")
    assert reopened.get_many("t1", ["狗"]) == {"狗": "dog"}
    many = [f"词{i}" for i in range(1200)]  # more than one query's worth of parameters
    reopened.put_many("t1", dict.fromkeys(many, "word"))
    assert len(reopened.get_many("t1", many)) == 1200
    reopened.close()


def test_translator_fills_and_reads_the_sqlite_cache(tmp_path: Path) -> None:
    path = tmp_path / "mjbot.db"
    cache = SqliteSpanCache(path)
    translator = Translator("dictionary", cache=cache)
    assert translator.translate("猫，景深").text == "cat, depth of field"
    tag = translator.load().tag
    assert cache.get_many(tag, ["猫", "景深"]) == {"猫": "cat", "景深": "depth of field"}

    # After a restart spans come from SQLite (edited here to tell the two sources apart) ...
    cache.put_many(tag, {"猫": "feline"})
    restarted = Translator("dictionary", cache=SqliteSpanCache(path))
    assert restarted.translate("猫，景深").text == "feline, depth of field"
    # ... traditional input shares the simplified entry ...
    assert restarted.translate("貓").text == "feline"
    # ... and a running translator answers from memory first.
    assert translator.translate("猫，景深").text == "cat, depth of field"
    restarted.close()
    translator.close()


def test_memory_cache_is_bounded(tmp_path: Path) -> None:
    cache = SqliteSpanCache(tmp_path / "mjbot.db")
    translator = Translator("dictionary", cache=cache, memory_size=1)
    tag = translator.load().tag
    translator.translate("猫")
    cache.put_many(tag, {"猫": "from sqlite"})
    assert translator.translate("猫").text == "cat"  # still in memory
    translator.translate("狗")  # pushes 猫 out
    assert translator.translate("猫").text == "from sqlite"
    translator.close()


async def test_async_translator_runs_on_its_own_thread(tmp_path: Path) -> None:
    threads: list[str] = []

    class Recording(Translator):
        def translate(self, text: str):
            threads.append(threading.current_thread().name)
            return super().translate(text)

    translator = AsyncTranslator(
        Recording("dictionary", cache=SqliteSpanCache(tmp_path / "mjbot.db"))
    )
    first = await translator.translate("水彩，猫")
    second = await translator.translate("油画")
    translator.close()
    assert (first.text, second.text) == ("watercolor, cat", "oil painting")
    assert len(set(threads)) == 1 and threads[0].startswith("mjbot-translate")
    assert threads[0] != threading.current_thread().name
