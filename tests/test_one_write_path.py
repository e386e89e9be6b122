"""Every write goes through an app's actions: nothing else writes through the ORM.

An action is a function in an app's `actions.py` (or in a package named `actions/`): it
checks, writes with `save_tracked` and records its audit event in the same transaction
(docs/architecture.md, "One write path"). Views, the API, management commands, workers,
readers and forms call actions. This reads every application module as a syntax tree and
finds the ORM's writing calls outside actions:

- `.save()` (no positional argument; `form.save(commit=False)` builds a record unsaved),
  `.delete()`, `.bulk_create`, `.bulk_update`, `.get_or_create`, `.update_or_create`,
  `form.save_m2m()`, their asynchronous forms (`.asave()`, `.acreate()`, ...) and
  `save_tracked(...)`;
- `.create(...)` and `.update(...)` when the receiver is a manager or a queryset (its chain
  passes through `objects`, `_default_manager` or a queryset method) or a related manager
  (an accessor of a model's relation), and `.add`, `.remove`, `.set`, `.clear` on a
  related manager;
- `cursor.execute(...)` or `.raw(...)` of an INSERT, UPDATE, DELETE, TRUNCATE or MERGE
  written in the code (also after a `WITH`).

The shared write primitives (`coresponder/core/`: `save_tracked`, `record_event`) and the
demo's bulk loader (`coresponder/demo/`, ADR 0003) are the documented exceptions.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator

from django.apps import apps
from django.db.models import ForeignObjectRel

from tests.architecture_scan import Module, application_modules

EXCEPTIONS = ("coresponder/core/", "coresponder/demo/")

MANAGER_ATTRIBUTES = {"objects", "_default_manager", "_base_manager"}
QUERYSET_METHODS = {
    "filter",
    "exclude",
    "all",
    "select_for_update",
    "order_by",
    "using",
    "select_related",
    "prefetch_related",
    "annotate",
    "distinct",
    "only",
    "defer",
    "none",
}
ALWAYS_WRITES = {"bulk_create", "bulk_update", "get_or_create", "update_or_create", "save_m2m"}
ALWAYS_WRITES |= {"abulk_create", "abulk_update", "aget_or_create", "aupdate_or_create"}
WRITES_WITHOUT_ARGUMENTS = {"save", "delete", "asave", "adelete"}
MANAGER_WRITES = {"create", "update", "create_user", "create_superuser", "acreate", "aupdate"}
RELATED_WRITES = {"create", "update", "add", "remove", "set", "clear", "get_or_create"}
SQL_WRITE = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|TRUNCATE|MERGE)\b|^\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b",
    re.IGNORECASE | re.DOTALL,
)


def is_allowed_writer(module: Module) -> bool:
    parts = module.path.parts
    return module.path.name == "actions.py" or "actions" in parts[:-1]


def is_exception(module: Module) -> bool:
    return module.relpath.startswith(EXCEPTIONS)


@functools.cache
def related_accessors() -> frozenset[str]:
    """The names a model instance reaches a related manager by: reverse relations and M2M."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields(include_hidden=False):
            if isinstance(field, ForeignObjectRel):
                if field.multiple:
                    names.add(field.get_accessor_name() or "")
            elif field.many_to_many:
                names.add(field.name)
    names.discard("")
    return frozenset(names)


def chain(node: ast.expr) -> Iterator[ast.expr]:
    """The receiver chain of an expression: `a.b(c).d` gives `.d`, `b(c)`, `.b`, `a`."""
    while True:
        yield node
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return


def through_manager_or_queryset(receiver: ast.expr) -> bool:
    for node in chain(receiver):
        if isinstance(node, ast.Attribute) and node.attr in MANAGER_ATTRIBUTES:
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in QUERYSET_METHODS:
                return True
    return False


def is_related_manager(receiver: ast.expr) -> bool:
    return isinstance(receiver, ast.Attribute) and (
        receiver.attr in related_accessors() or receiver.attr.endswith("_set")
    )


def literal_text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(literal_text(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return literal_text(node.left) + literal_text(node.right)
    return ""


def writing_call(call: ast.Call) -> str | None:
    """What the call writes, or None when it writes nothing through the ORM."""
    func = call.func
    if isinstance(func, ast.Name):
        return "save_tracked()" if func.id == "save_tracked" else None
    if not isinstance(func, ast.Attribute):
        return None
    name, receiver = func.attr, func.value
    if name == "save_tracked":
        return "save_tracked()"
    if name in ALWAYS_WRITES:
        return f".{name}()"
    if name in WRITES_WITHOUT_ARGUMENTS and not call.args:
        unsaved = any(
            k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False
            for k in call.keywords
        )
        return None if unsaved else f".{name}()"
    if name in MANAGER_WRITES and through_manager_or_queryset(receiver):
        return f".{name}() on a manager or queryset"
    if name in RELATED_WRITES and isinstance(receiver, ast.Attribute):
        if is_related_manager(receiver):
            return f".{name}() on the related manager .{receiver.attr}"
    if name in {"execute", "executemany", "raw"} and call.args:
        if SQL_WRITE.match(literal_text(call.args[0])):
            return "raw SQL write"
    return None


def is_queryset(value: ast.expr) -> bool:
    """An expression that gives a manager or a queryset itself: `Task.objects`,
    `Task.objects.filter(...)`, `tasks.exclude(...)` (not `.first()`, `.in_bulk()` or
    `.aggregate()`, which give rows or dicts)."""
    if isinstance(value, ast.Attribute):
        return value.attr in MANAGER_ATTRIBUTES
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        return value.func.attr in QUERYSET_METHODS and through_manager_or_queryset(value)
    return False


def _annotation_names(annotation: ast.expr | None) -> set[str]:
    return {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)} if annotation else set()


def queryset_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names a function binds to a manager or a queryset: assigned one (`due =
    Task.objects.filter(...)`, or another such name), or a parameter typed `QuerySet`."""
    arguments = function.args
    names = {
        a.arg
        for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        if _annotation_names(a.annotation) & {"QuerySet", "Manager"}
    }
    for node in ast.walk(function):
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        if value is None:
            continue
        held = is_queryset(value) or (isinstance(value, ast.Name) and value.id in names)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if held:
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def held_queryset_writes(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) of each `.update()`/`.create()` on a queryset or manager a function
    holds in a variable, which `writing_call` alone cannot tell from a dict's update."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        held = queryset_names(function)
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in MANAGER_WRITES
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in held
            ):
                found.append(
                    (node.lineno, f".{node.func.attr}() on a queryset held in {node.func.value.id}")
                )
    return found


def writes_in(module: Module) -> list[str]:
    direct = [
        (node.lineno, what)
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Call) and (what := writing_call(node))
    ]
    return [
        f"{module.relpath}:{line}: {what}"
        for line, what in sorted(set(direct + held_queryset_writes(module.tree)))
    ]


@functools.cache
def writes_outside_actions() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for module in application_modules():
        if is_allowed_writer(module) or is_exception(module):
            continue
        if writes := writes_in(module):
            found[module.relpath] = writes
    return found


def calls(source: str) -> list[str | None]:
    return [writing_call(n) for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]


def test_the_check_knows_a_write_when_it_reads_one() -> None:
    for source in [
        "record.save()",
        "record.save(update_fields=['status'])",
        "form.save()",
        "record.delete()",
        "Task.objects.filter(id=1).update(status='done')",
        "Task.objects.create(status='open')",
        "Task._default_manager.using('default').create()",
        "Task.objects.bulk_create(rows)",
        "Person.objects.get_or_create(name='a')",
        "save_tracked(task, actor)",
        "tracked.save_tracked(task, actor)",
        "person.participation_set.create(program=p)",
        "cursor.execute('UPDATE outreach_task SET status = %s', [s])",
        "cursor.execute(f'delete from {table}')",
        "cursor.execute('WITH gone AS (SELECT 1) DELETE FROM outreach_task')",
        "cursor.execute('TRUNCATE people_person')",
        "Person.objects.raw('UPDATE people_person SET given_name = %s', ['a'])",
        "form.save_m2m()",
        "await record.asave()",
        "await record.adelete()",
        "await Task.objects.acreate(status='open')",
        "await Task.objects.filter(id=1).aupdate(status='done')",
        "await Task.objects.abulk_create(rows)",
    ]:
        assert calls(source)[0] is not None, source
    for source in [
        "form.save(commit=False)",
        "workbook.save(buffer)",
        "context.update(extra=1)",
        "options.update(other)",
        "cache.delete(key)",
        "cursor.execute('SELECT 1')",
        "cursor.execute('WITH recent AS (SELECT 1) SELECT * FROM recent')",
        "Person.objects.raw('SELECT * FROM people_person')",
        "Task.objects.filter(id=1).count()",
    ]:
        assert calls(source)[0] is None, source


def test_the_check_knows_a_write_through_a_queryset_held_in_a_variable() -> None:
    tree = ast.parse(
        "def close(ids):\n"
        "    due = Task.objects.filter(id__in=ids)\n"
        "    due.update(status='closed')\n"
        "    options = {}\n"
        "    options.update(extra=1)\n"
        "    manager: Any = Task.objects\n"
        "    manager.create(status='open')\n"
    )
    assert held_queryset_writes(tree) == [
        (3, ".update() on a queryset held in due"),
        (7, ".create() on a queryset held in manager"),
    ]
    # Aliases and typed parameters are followed; rows and dicts a query gives are not querysets.
    tree = ast.parse(
        "def close(open_tasks: QuerySet[Task], ids):\n"
        "    open_tasks.update(status='closed')\n"
        "    due = Task.objects.filter(id__in=ids)\n"
        "    again = due\n"
        "    again.update(status='closed')\n"
        "    by_id = Task.objects.in_bulk(ids)\n"
        "    by_id.update(extra)\n"
        "    totals = Task.objects.aggregate(n=Count('id'))\n"
        "    totals.update(more)\n"
        "    row = Task.objects.filter(id=1).values('a').first()\n"
        "    row.update(a=2)\n"
    )
    assert held_queryset_writes(tree) == [
        (2, ".update() on a queryset held in open_tasks"),
        (5, ".update() on a queryset held in again"),
    ]


def test_nothing_outside_actions_writes_through_the_orm() -> None:
    found = writes_outside_actions()
    assert not found, (
        "Writes belong in an app's actions.py (atomic, with an audit event); call the "
        "action instead:\n" + "\n".join(f"  {line}" for w in found.values() for line in w)
    )


# Modules outside actions that record an event of a write, and why that is no second path.
WRITE_EVENTS_ALLOWED = {
    "coresponder/intake/imports.py": "commit_import records each row through record_referral; "
    "its own event names the file",
    "coresponder/intake/public_views.py": "a refused public submission stores nothing; the "
    "event records the refusal",
}
NOT_WRITES = {"read", "export", "logon", "logoff"}


def write_events_in(module: Module) -> list[str]:
    """`record_event(actor, "create" | "change" | "delete", ...)` calls in the module."""
    found = []
    for node in ast.walk(module.tree):
        if not (isinstance(node, ast.Call) and len(node.args) >= 2):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name != "record_event":
            continue
        action = node.args[1]
        said = str(action.value) if isinstance(action, ast.Constant) else ast.unparse(action)
        if said.rsplit(".", 1)[-1].lower() not in NOT_WRITES:
            found.append(f"{module.relpath}:{node.lineno}: {said}")
    return found


def test_only_actions_record_the_event_of_a_write() -> None:
    found = {
        module.relpath: events
        for module in application_modules()
        if not (is_allowed_writer(module) or is_exception(module))
        and (events := write_events_in(module))
    }
    unexpected = sorted(set(found) - set(WRITE_EVENTS_ALLOWED))
    assert not unexpected, (
        "An event of a write belongs beside the write, in an action: "
        + "; ".join(line for path in unexpected for line in found[path])
    )
    assert sorted(WRITE_EVENTS_ALLOWED) == sorted(set(WRITE_EVENTS_ALLOWED) & set(found)), (
        "Listed modules that no longer record a write event: take them off the list"
    )


@functools.cache
def apps_of_models() -> dict[str, frozenset[str]]:
    """Model class name -> the apps (labels) that define a model of that name."""
    found: dict[str, set[str]] = {}
    for model in apps.get_models():
        found.setdefault(model.__name__, set()).add(model._meta.app_label)
    return {name: frozenset(labels) for name, labels in found.items()}


def _model_of(value: ast.expr) -> str | None:
    """The model class an expression starts from (`Person(...)`, `Task.objects.get(...)`)."""
    if not isinstance(value, (ast.Call, ast.Attribute)):
        return None
    base = list(chain(value))[-1]
    return base.id if isinstance(base, ast.Name) and base.id in apps_of_models() else None


def _saved_name(call: ast.Call) -> str | None:
    """The variable a call saves or deletes: `save_tracked(task, ...)`, `task.save()`."""
    func = call.func
    if (isinstance(func, ast.Name) and func.id == "save_tracked") or (
        isinstance(func, ast.Attribute) and func.attr == "save_tracked"
    ):
        first = call.args[0] if call.args else None
        return first.id if isinstance(first, ast.Name) else None
    if isinstance(func, ast.Attribute) and func.attr in WRITES_WITHOUT_ARGUMENTS:
        return func.value.id if isinstance(func.value, ast.Name) else None
    return None


def other_apps_models_written(tree: ast.Module, app: str) -> list[tuple[int, str]]:
    """(line, model) of each write to a model `app` does not define: through its manager
    (`Participation.objects.get_or_create(...)` in encounters' actions), or an instance a
    function made, read, loops over or takes as a typed parameter and saves (`person =
    Person(...)`; `def f(person: Person)`; then `save_tracked(person)`). An instance reached
    through an attribute (`known.person.save()`) is not followed."""
    found = set()

    def foreign(model: str | None) -> bool:
        return model is not None and app not in apps_of_models()[model]

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if writing_call(node) is not None and foreign(_model_of(node.func.value)):
                found.add((node.lineno, str(_model_of(node.func.value))))
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        held: dict[str, str] = {}
        arguments = function.args
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            typed = _annotation_names(argument.annotation) & set(apps_of_models())
            if len(typed) == 1:
                held[argument.arg] = typed.pop()
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and (model := _model_of(node.value)):
                held.update({t.id: model for t in node.targets if isinstance(t, ast.Name)})
            elif isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
                if model := _model_of(node.iter):
                    held[node.target.id] = model
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and (name := _saved_name(node)) in held:
                if foreign(held[str(name)]):
                    found.add((node.lineno, held[str(name)]))
    return sorted(found)


# An app's actions that write another app's model, and why.
OTHER_APPS_WRITES_ALLOWED = {
    # Merging two people and undoing it is identity's whole work: the kept and the merged
    # person's own rows are rewritten (and every app's rows moved) in one audited action.
    ("coresponder/identity/actions.py", "Person"): "merge and unmerge",
    # A report of a death naming one of two records waits on the decision whether they are
    # one person; the decision (a merge, or "not the same person") records it. Intake
    # calls identity, so identity cannot call intake back.
    ("coresponder/identity/actions.py", "Overdose"): "a death held for the match decision",
    # Django's sessions table belongs to no app of ours; signing in (programs) keeps it, and
    # the worker deletes the expired sessions each visit to a public page leaves behind.
    ("coresponder/programs/actions.py", "Session"): "expired sessions deleted",
}


def test_the_own_models_check_reads_a_write_to_another_apps_model() -> None:
    source = ast.parse(
        "Participation.objects.get_or_create(person=p, program=q)\n"
        "Encounter.objects.filter(pk=1).update(kind='x')\n"
        "Participation.objects.filter(person=p).exists()\n"
        "def add(actor):\n"
        "    person = Person(given_name='Ana')\n"
        "    save_tracked(person, actor.user)\n"
        "    task = OutreachTask.objects.get(pk=1)\n"
        "    task.delete()\n"
        "    task.refresh_from_db()\n"
    )
    assert other_apps_models_written(source, "encounters") == [
        (1, "Participation"),
        (6, "Person"),
        (8, "OutreachTask"),
    ]
    assert other_apps_models_written(source, "people") == [(2, "Encounter"), (8, "OutreachTask")]
    typed = ast.parse(
        "def die(actor, person: Person, day):\n"
        "    person.deceased_on = day\n"
        "    save_tracked(person, actor.user)\n"
        "def close(ids):\n"
        "    for task in OutreachTask.objects.filter(id__in=ids):\n"
        "        task.delete()\n"
    )
    assert other_apps_models_written(typed, "intake") == [(3, "Person"), (6, "OutreachTask")]


def test_each_apps_actions_write_their_own_models() -> None:
    """An app writes another app's table by calling that app's action (people's
    `join_program`, outreach's `add_notice`), never through the other model's manager."""
    written = [
        (module.relpath, line, model)
        for module in application_modules()
        if is_allowed_writer(module)
        for line, model in other_apps_models_written(module.tree, module.relpath.split("/")[1])
    ]
    found = [
        f"{path}:{line}: {model}"
        for path, line, model in written
        if (path, model) not in OTHER_APPS_WRITES_ALLOWED
    ]
    assert not found, "\n".join(found)
    # Every exception still names a write that is there.
    assert set(OTHER_APPS_WRITES_ALLOWED) <= {(path, model) for path, _, model in written}
