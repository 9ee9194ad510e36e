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
    assert all(os.path.isfile(path) for path in cache.class_sources())
    # the loader that builds the rows is part of the key too: reading a column differently
    # (e.g. one locator per source) must not return rows built the old way
    assert {os.path.basename(p) for p in cache.class_sources()} >= {"kb.py", "loader.py", "schema.py", "model.py"}


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


def _lookup(cache_dir, *args):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "alkseq", "lookup", *args], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "ALKSEQ_CACHE_DIR": str(cache_dir)})
    return done.returncode, done.stdout, done.stderr


def test_a_kept_lookup_answer_is_the_computed_one(tmp_path):
    """The book of lookup answers hands back exactly what the interpreter printed, per query."""
    queries = [("G1202R+L1196M", "--prior", "crizotinib", "--prior", "alectinib"),
               ("p.Gly1202Arg", "--format", "json"), ("G1202R", "--histology", "squamous")]
    for query in queries:
        fresh = _lookup("off", *query)
        assert fresh[0] == 0, fresh[2]
        assert _lookup(tmp_path / "cache", *query) == fresh     # computed, then kept
        assert _lookup(tmp_path / "cache", *query) == fresh     # from the book
    (book,) = (tmp_path / "cache").glob("lookup-*.marshal")
    assert stat.S_IMODE(book.stat().st_mode) & 0o077 == 0
    import marshal

    assert len(marshal.loads(book.read_bytes())) == len(queries)
    # errors are never kept: the same bad query fails the same way every time
    bad = _lookup(tmp_path / "cache", "F1000L")
    assert bad[0] != 0 and _lookup(tmp_path / "cache", "F1000L") == bad
    book.write_bytes(b"damaged")
    assert _lookup(tmp_path / "cache", *queries[0]) == _lookup("off", *queries[0])


def test_the_lookup_book_follows_tables_overlays_and_code(tmp_path, monkeypatch):
    monkeypatch.setenv("ALKSEQ_CACHE_DIR", str(tmp_path / "cache"))
    shipped = cache.answer_key(None)
    assert shipped and cache.answer_key(None) == shipped
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "sources.tsv").write_text("source\tcitation\n")
    with_overlay = cache.answer_key(str(overlay))
    assert with_overlay not in (None, shipped)
    (overlay / "sources.tsv").write_text("source\tcitation\nPMID:1\tx\n")
    assert cache.answer_key(str(overlay)) not in (None, shipped, with_overlay)
    assert cache.answer_key(str(tmp_path / "missing")) is None      # the full path says why
    # a module of the package edited (size or mtime): a new book
    package = tmp_path / "package"
    (package / "knowledge").mkdir(parents=True)
    for name in ("model.py", "knowledge/kb.py", "knowledge/loader.py", "knowledge/schema.py"):
        (package / name).write_text("# a module\n")
    monkeypatch.setattr(cache, "_PACKAGE", str(package))
    before = cache.answer_key(None)
    module = package / "model.py"
    os.utime(module, ns=(module.stat().st_atime_ns, module.stat().st_mtime_ns + 1_000_000))
    assert cache.answer_key(None) != before
    monkeypatch.setenv("ALKSEQ_CACHE_DIR", "off")
    assert cache.answer_key(None) is None


def test_the_kept_key_follows_every_change_to_the_files(tmp_path, monkeypatch):
    """The key is read from the stat index only for files that settled; a same-size edit that
    restores the old mtime still changes the ctime, so it is hashed again."""
    import time

    monkeypatch.setenv("ALKSEQ_CACHE_DIR", str(tmp_path / "cache"))
    kb_dir = write_synthetic_kb(tmp_path / "kb")
    first = cache.key_for(kb_dir, None)
    assert first == cache.cache_key(kb_dir, None)
    assert not list((tmp_path / "cache").glob("files-*"))       # just written: not kept yet
    time.sleep(cache.SETTLED_SECONDS + 0.2)
    assert cache.key_for(kb_dir, None) == first
    (index,) = (tmp_path / "cache").glob("files-*")
    assert stat.S_IMODE(index.stat().st_mode) & 0o077 == 0
    assert cache.key_for(kb_dir, None) == first                 # from the index
    index.write_text("not a key")                                # a damaged entry: hashed again
    assert cache.key_for(kb_dir, None) == first
    table = kb_dir / "sensitivity.tsv"
    before = table.stat()
    text = table.read_text()
    edited = text.replace("resistant", "sensitive", 1)          # the same size
    assert edited != text and len(edited) == len(text)
    table.write_text(edited)
    os.utime(table, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert table.stat().st_size == before.st_size and table.stat().st_mtime_ns == before.st_mtime_ns
    assert cache.key_for(kb_dir, None) == cache.cache_key(kb_dir, None) != first


def test_the_cached_form_shares_equal_cells_and_changes_no_value(tmp_path, monkeypatch):
    """Equal strings and records are pickled once (the cache is ~45% smaller); the unpickled
    knowledge base equals the validated one, and no value changes type or identity class."""
    import pickle

    from alkseq.model import Citation

    values = {"a": [(1, "x"), (1.0, "x"), (True, "x")], "b": ({"k": 1}, {"k": 1}),
              "c": [Citation("PMID:1", "Fig 1", "primary"), Citation("PMID:1", "Fig 1", "primary")]}
    shared = cache._shared(values, {})
    assert shared == values
    assert [type(t[0]) for t in shared["a"]] == [int, float, bool]          # 1, 1.0, True kept apart
    assert shared["a"][0][1] is shared["a"][1][1]                           # one "x"
    assert shared["b"][0] is not shared["b"][1]                             # dicts never shared
    assert shared["c"][0] is shared["c"][1] and shared["c"][0] == Citation("PMID:1", "Fig 1", "primary")
    monkeypatch.setenv("ALKSEQ_CACHE_DIR", str(tmp_path / "cache"))
    load_knowledge.cache_clear()
    fresh = load_knowledge()
    (entry,) = (tmp_path / "cache").glob("kb-*.pickle")
    assert entry.stat().st_size < 0.7 * len(pickle.dumps(fresh, protocol=pickle.HIGHEST_PROTOCOL))
    load_knowledge.cache_clear()
    cached = load_knowledge()
    assert cached == fresh and cached is not fresh
    rows = [row for cell in cached.sensitivity.values() for row in cell]
    assert len({id(row.drug_class) for row in rows}) == len({row.drug_class for row in rows})
