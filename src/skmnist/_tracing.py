"""Release what TensorFlow keeps, process-wide, of a finished fit's traced training step.

Every ``fit`` traces a new training step (a new Keras model, a new ``tf.function``).  Keras's
TensorFlow optimizer sums the gradients with ``tf.distribute``'s ``all_reduce`` even on one
device, and that goes through ``tf.custom_gradient``, which in a traced graph registers a
gradient function under a fresh name (``CustomGradient-<n>``) in TensorFlow's global gradient
registry and never removes it.  The function closes over the step's tensors, so each fit's
whole training graph (its optimizer sub-graphs and the functions in the eager context's
library) stayed alive for the life of the process, growing without bound over a long search
(measured by ``benchmarks/bench_fit_memory.py``; the numbers are in the scaling page of the
user guide).
``keras.backend.clear_session()`` does not release it.

:func:`released_training_graphs` removes, after a fit, the registrations made during it whose
graph uses that fit's model's variables.  They are only consulted to differentiate *through*
the training step (a symbolic gradient of the whole step), which nothing does; the fit itself
has taken its gradients by then.  Registrations of other graphs (another thread's fit, the
user's own ``tf.custom_gradient`` functions) are left alone, and anything unexpected in
TensorFlow's private structures leaves the registry as it is: this is a memory bound, never a
reason for a fit to fail.
"""

import contextlib

from ._tf import tf

__all__ = ["released_training_graphs"]

_PREFIX = "CustomGradient-"


def _registry():
    """TensorFlow's gradient registry (a dict name -> entry), or None if it moved."""
    try:
        from tensorflow.python.framework import ops

        registry = ops._gradient_registry._registry
    except (ImportError, AttributeError):
        return None
    return registry if isinstance(registry, dict) else None


def _closure(function):
    """A function's free variables as a dict (empty when it has none)."""
    code = getattr(function, "__code__", None)
    cells = getattr(function, "__closure__", None) or ()
    return dict(zip(code.co_freevars, cells)) if code is not None else {}


def _graphs_of(entry):
    """The graphs whose tensors a ``tf.custom_gradient`` registration holds."""
    internal = entry.get("type") if isinstance(entry, dict) else None
    tape = _closure(internal).get("tape_grad_fn")
    result = _closure(tape.cell_contents if tape else None).get("result")
    if result is None:
        return set()
    tensors = tf.nest.flatten(result.cell_contents)
    return {t.graph for t in tensors if getattr(t, "graph", None) is not None}


def _uses(graph, variable_ids):
    return any(id(v) in variable_ids for v in getattr(graph, "variables", ()))


@contextlib.contextmanager
def released_training_graphs(model):
    """Drop the gradient registrations that training ``model`` inside the block made.

    Parameters
    ----------
    model : keras.Model
        The model trained inside the block (its variables identify its graphs).

    Yields
    ------
    None
    """
    registry = _registry()
    before = set(registry) if registry is not None else set()
    try:
        yield
    finally:
        if registry is not None:
            try:
                variable_ids = {id(getattr(v, "value", v)) for v in model.variables}
                for name in [k for k in list(registry) if k not in before]:
                    if not (isinstance(name, str) and name.startswith(_PREFIX)):
                        continue
                    if any(_uses(g, variable_ids) for g in _graphs_of(registry.get(name))):
                        registry.pop(name, None)
            except Exception:  # see the module docstring: never fail a fit
                pass
