"""The model's frozen dataclasses (made without code generation, ``alkseq/model.py``) behave as
``dataclasses.dataclass(frozen=True)`` would: every class of the model is rebuilt with the
standard decorator from the same source and both are compared on the same values."""
from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import textwrap

import pytest

from alkseq import model

CLASSES = [c for c in vars(model).values() if inspect.isclass(c) and dataclasses.is_dataclass(c)
           and c.__module__ == model.__name__]


def _standard(cls):
    """``cls`` defined again from its source with ``dataclasses.dataclass(frozen=True)``."""
    namespace = dict(vars(model), dataclass=dataclasses.dataclass)
    exec(compile(textwrap.dedent(inspect.getsource(cls)), model.__file__, "exec"), namespace)
    return namespace[cls.__name__]


def _sample_values(cls):
    """Keyword arguments for every init field: a distinct hashable value or its default."""
    values = {}
    for number, f in enumerate(dataclasses.fields(cls)):
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            values[f.name] = () if str(f.type).startswith("tuple") else f"{f.name}-{number}"
    return values


def test_every_model_class_is_a_frozen_dataclass():
    assert len(CLASSES) >= 19
    for cls in CLASSES:
        params = cls.__dataclass_params__
        assert params.frozen and params.eq and params.init and params.repr, cls


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_the_same_behaviour_as_the_standard_decorator(cls):
    standard = _standard(cls)
    assert [(f.name, f.default, f.compare) for f in dataclasses.fields(cls)] == \
        [(f.name, f.default, f.compare) for f in dataclasses.fields(standard)]
    assert cls.__match_args__ == standard.__match_args__
    values = _sample_values(cls)
    ours, theirs = cls(**values), standard(**values)
    assert repr(ours).replace(cls.__qualname__, "X") == repr(theirs).replace(standard.__qualname__, "X")
    assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
    assert vars(ours) == vars(theirs) and list(vars(ours)) == list(vars(theirs))
    assert hash(ours) == hash(cls(**values)) and ours == cls(**values)
    positional = cls(*[getattr(ours, f.name) for f in dataclasses.fields(cls)])
    assert positional == ours
    # a changed field: unequal exactly when the standard class says so
    for f in dataclasses.fields(cls):
        changed = {**values, f.name: "changed"}
        assert (cls(**changed) == ours) == (standard(**changed) == theirs), f.name
    assert dataclasses.replace(ours) == ours and dataclasses.replace(ours) is not ours
    assert pickle.loads(pickle.dumps(ours)) == ours and copy.deepcopy(ours) == ours
    assert ours != theirs and ours.__eq__(object()) is NotImplemented
    first = dataclasses.fields(cls)[0].name
    for attempt in (lambda: setattr(ours, first, 1), lambda: delattr(ours, first),
                    lambda: setattr(ours, "new_attribute", 1)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            attempt()


def test_wrong_arguments_fail_as_with_the_standard_decorator():
    standard = _standard(model.Citation)
    for args, kwargs in [((), {}), (("a", "b", "c", "d"), {}), (("a",), {"source": "b"}),
                         (("a",), {"unknown": 1})]:
        with pytest.raises(TypeError) as ours:
            model.Citation(*args, **kwargs)
        with pytest.raises(TypeError) as theirs:
            standard(*args, **kwargs)
        assert str(ours.value).split("() ")[1] == str(theirs.value).split("() ")[1]


def test_factories_post_init_and_compare_false():
    first, second = model.Alteration("ALK", "mutation"), model.Alteration("ALK", "mutation")
    assert first.origin == model.Origin() and first.origin is not second.origin
    assert model.Context(prior_therapies=("alectinib",)).lines == (("alectinib",),)
    change = model.ProteinChange("missense", 1202, "G", "R")
    spelled = dataclasses.replace(change, original="p.Gly1202Arg")
    assert spelled == change and hash(spelled) == hash(change)


def _mutable_records():
    from alkseq.interpret import engine

    return [(engine, engine._Draft), (engine, engine._Facts)]


@pytest.mark.parametrize("module,cls", _mutable_records(), ids=lambda c: getattr(c, "__name__", ""))
def test_mutable_records_behave_as_the_standard_decorator(module, cls):
    """``model.dataclass`` without ``frozen`` (the interpreter's working records): the same fields,
    ``__init__``, ``repr`` and equality as ``dataclasses.dataclass``; mutable and unhashable."""
    namespace = dict(vars(module), dataclass=dataclasses.dataclass)
    exec(compile(textwrap.dedent(inspect.getsource(cls)), module.__file__, "exec"), namespace)
    standard = namespace[cls.__name__]
    assert [(f.name, f.default, f.default_factory, f.compare) for f in dataclasses.fields(cls)] == \
        [(f.name, f.default, f.default_factory, f.compare) for f in dataclasses.fields(standard)]
    assert not cls.__dataclass_params__.frozen and cls.__dataclass_params__.eq
    values = _sample_values(cls)
    ours, theirs = cls(**values), standard(**values)
    assert repr(ours).replace(cls.__qualname__, "X") == repr(theirs).replace(standard.__qualname__, "X")
    assert vars(ours) == vars(theirs) and list(vars(ours)) == list(vars(theirs))
    assert ours == cls(**values) and ours != theirs
    assert cls.__hash__ is None and standard.__hash__ is None
    first = dataclasses.fields(cls)[0].name
    setattr(ours, first, "changed")
    setattr(theirs, first, "changed")
    assert getattr(ours, first) == "changed" and vars(ours) == vars(theirs)
    assert dataclasses.replace(ours) == ours and dataclasses.replace(ours) is not ours
    with pytest.raises(TypeError):
        cls()
