"""The on-disk cache of the validated knowledge base: content-addressed, private, optional."""
import os
import stat

from alkseq.knowledge import cache, load_knowledge
from conftest import write_synthetic_kb


def _fresh(directory, monkeypatch, cache_dir):
    monkeypatch.setenv("ALKSEQ_CACHE_DIR", str(cache_dir))
    load_knowledge.cache_clear()
    return load_knowledge(str(directory))


def test_hit_gives_the_same_knowledge_and_edits_miss(tmp_path, monkeypatch):
    kb_dir = write_synthetic_kb(tmp_path / "kb")
    first = _fresh(kb_dir, monkeypatch, tmp_path / "cache")
    entries = list((tmp_path / "cache").glob("kb-*.pickle"))
    assert len(entries) == 1
    assert stat.S_IMODE(entries[0].stat().st_mode) & 0o077 == 0
    second = _fresh(kb_dir, monkeypatch, tmp_path / "cache")
    assert second == first and second is not first
    # an edited table is a different key: validated afresh, and errors are still errors
    table = kb_dir / "sensitivity.tsv"
    table.write_text(table.read_text().replace("resistant", "resistent", 1))
    load_knowledge.cache_clear()
    try:
        load_knowledge(str(kb_dir))
        raise AssertionError("an invalid table was served from the cache")
    except Exception as exc:  # KnowledgeError
        assert "resistent" in str(exc)


def test_off_and_unsafe_directories_are_not_used(tmp_path, monkeypatch):
    kb_dir = write_synthetic_kb(tmp_path / "kb")
    monkeypatch.setenv("ALKSEQ_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    load_knowledge.cache_clear()
    assert load_knowledge(str(kb_dir)).version
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    _fresh(kb_dir, monkeypatch, shared)
    assert not list(shared.glob("kb-*.pickle"))


def test_damaged_entry_is_ignored(tmp_path, monkeypatch):
    kb_dir = write_synthetic_kb(tmp_path / "kb")
    good = _fresh(kb_dir, monkeypatch, tmp_path / "cache")
    (entry,) = (tmp_path / "cache").glob("kb-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert _fresh(kb_dir, monkeypatch, tmp_path / "cache") == good


def test_an_edit_to_the_pickled_classes_misses_the_cache(tmp_path, monkeypatch):
    """Upgrading alkseq's row classes without a version bump must not unpickle old rows."""
    kb_dir = write_synthetic_kb(tmp_path / "kb")
    module = tmp_path / "kb.py"
    module.write_text("class Drug: pass\n")
    monkeypatch.setattr(cache, "class_sources", lambda: (module,))
    before = cache.cache_key(kb_dir, None)
    module.write_text("class Drug:\n    note = ''\n")
    assert cache.cache_key(kb_dir, None) != before
    # and the real modules exist where the key looks for them (an installed wheel included)
    monkeypatch.undo()
    assert all(path.is_file() for path in cache.class_sources())
    # the loader that builds the rows is part of the key too: reading a column differently
    # (e.g. one locator per source) must not return rows built the old way
    assert {p.name for p in cache.class_sources()} >= {"kb.py", "loader.py", "schema.py", "model.py"}


def test_the_same_tables_elsewhere_are_their_own_entry(tmp_path, monkeypatch):
    # rows carry the path of their table (file:line in warnings and audits): a copy of the
    # same bytes in another directory must not be served rows that point at the first copy
    first = _fresh(write_synthetic_kb(tmp_path / "a"), monkeypatch, tmp_path / "cache")
    second = _fresh(write_synthetic_kb(tmp_path / "b"), monkeypatch, tmp_path / "cache")
    rows = lambda kb: [r for cell in kb.sensitivity.values() for r in cell]
    assert all(r.path.startswith(str(tmp_path / "a")) for r in rows(first))
    assert all(r.path.startswith(str(tmp_path / "b")) for r in rows(second))
    assert len(list((tmp_path / "cache").glob("kb-*.pickle"))) == 2


def test_an_edited_overlay_is_not_served_stale_in_the_same_process(tmp_path, monkeypatch):
    """A notebook that edits its overlay and loads again gets the edited knowledge, not the first one."""
    monkeypatch.setenv("ALKSEQ_CACHE_DIR", str(tmp_path / "cache"))
    kb_dir = write_synthetic_kb(tmp_path / "kb")
    load_knowledge.cache_clear()
    first = load_knowledge(str(kb_dir))
    assert load_knowledge(str(kb_dir)) is first                       # unchanged files: the same object
    table = kb_dir / "sensitivity.tsv"
    text = table.read_text()
    edited = text.replace("resistant", "sensitive", 1)
    assert edited != text
    table.write_text(edited)
    os.utime(table, ns=(table.stat().st_atime_ns, table.stat().st_mtime_ns + 1_000_000))
    second = load_knowledge(str(kb_dir))
    assert second is not first and second != first
