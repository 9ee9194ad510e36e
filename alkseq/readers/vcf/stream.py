"""Records → one interpretation per sample, one record at a time: nothing in-gene is held but findings.

A file that names no build has it decided from REF alleles first; for that, up to
``BUILD_RECORDS`` in-gene records are held (the one part that does not stream, documented in
docs/errors.md), then the build is fixed from their votes and they are replayed. Multi-sample
files are read once: each record is offered to every sample's interpretation in turn.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from alkseq.genome.locate import BuildVotes
from alkseq.readers.vcf.interpret import Context
from alkseq.readers.vcf.records import Call, Unplaceable

BUILD_RECORDS = 10_000       # in-gene records held to decide a build the header does not state


class Fanout:
    """Feeds records to per-sample contexts; each sample's converter's ``call(item)`` turns a record into
    that sample's ``Call`` (or None), ``probe(item)`` into a sample-free one for build votes."""

    def __init__(self, contexts: list[Context], converters: list,
                 probe: Callable[[Any], Call | None], warnings: list[str],
                 make_converters: Callable[[str | None], list] | None = None,
                 verify: Callable[[Any], Call | None] | None = None):
        self.contexts, self.converters, self.probe = contexts, converters, probe
        self.warnings = warnings
        self.make_converters = make_converters
        self.verify = verify          # an explicit build: records where the other build's REF would vote
        self.held: list | None = None if contexts[0].build is not None else []
        self.votes = BuildVotes()
        self.unplaceable: list[str] = []
        self.build_source = ""
        if self.held is None:
            self._start()

    def _start(self) -> None:
        for context, converter in zip(self.contexts, self.converters):
            context.start(getattr(converter, "background", None))

    def feed(self, items: Iterable) -> None:
        if self.held is None and self.verify is None and len(self.contexts) == 1:
            return self._feed_one(items)
        for item in items:
            try:
                if self.held is not None:
                    call = self.probe(item)
                    if call is not None:
                        self.votes.add(call.chrom, call.pos, call.end, call.ref, call.alts)
                        self.held.append(item)
                        if len(self.held) >= BUILD_RECORDS:
                            self._decide()
                    continue
                first = None
                for context, converter in zip(self.contexts, self.converters):
                    call = converter.call(item)
                    if call is not None:
                        first = first or call
                        context.add(call)
                if self.verify is not None:
                    first = first or self.verify(item)
                    if first is not None:
                        self.votes.add(first.chrom, first.pos, first.end, first.ref, first.alts)
            except Unplaceable as exc:     # no usable position: htslib reads it as 0 and goes on
                self._skip(exc)

    def _feed_one(self, items: Iterable) -> None:
        """``feed`` for one sample whose build is known: the hot loop of an indexed genome (thousands of
        in-gene records), without the per-record sample loop, build votes and held records."""
        call_of, add = self.converters[0].call, self.contexts[0].add
        for item in items:
            try:
                call = call_of(item)
                if call is not None:
                    add(call)
            except Unplaceable as exc:
                self._skip(exc)

    def _skip(self, exc: Unplaceable) -> None:
        """A record without a usable position, skipped: named in ``finish``'s one warning."""
        self.unplaceable.append(f"line {exc.line}: {exc.message}" if exc.line else exc.message)

    def _decide(self) -> None:
        held, self.held = self.held or [], None
        build, self.build_source = self.votes.decide(self.warnings)
        if len(held) >= BUILD_RECORDS:
            self.warnings.append(f"build decided from the first {BUILD_RECORDS:,} records in known genes")
        for context in self.contexts:
            context.build, context.build_source = build, self.build_source
        if self.make_converters is not None:
            self.converters = self.make_converters(build)
        self._start()
        self.feed(held)

    def finish(self, path: str = "") -> list[list]:
        """Each sample's alterations, in the order of ``contexts``; a given build the REF alleles
        contradict is a ``BuildMismatchError`` (exit 4) naming the counts."""
        if self.held is not None:
            self._decide()
        elif self.verify is not None:
            self._check_build(path)
        if self.unplaceable:
            more = f" (+{len(self.unplaceable) - 1} more)" if len(self.unplaceable) > 1 else ""
            self.warnings.append(f"{len(self.unplaceable)} record(s) without a usable position skipped: "
                                 f"{self.unplaceable[0]}{more}")
        return [context.finish() for context in self.contexts]

    def _check_build(self, path: str) -> None:
        given = self.contexts[0].build
        error = self.votes.contradiction(given, path) if given is not None else None
        if error is not None:
            raise error
