# Sphinx configuration of the skmnist documentation.
#
# Build (from the repository root; warnings are errors, every examples/plot_*.py runs):
#
#     .venv/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html
#
# The build needs no network: no intersphinx mappings, no external theme resources.
# Generated (git-ignored): docs/_build/, docs/generated/ (API stubs), docs/auto_examples/
# and docs/sg_execution_times.rst (sphinx-gallery).

import importlib.util
import os
import re
import warnings

import matplotlib

matplotlib.use("Agg")  # the gallery's figures are rendered off-screen

HERE = os.path.dirname(os.path.abspath(__file__))

# The installed skmnist is documented, and the gallery runs against it, as a user's scripts do
# (``pip install ".[docs]"``; ``pip install -e .`` documents the working tree).
import skmnist  # noqa: E402

# -- project ---------------------------------------------------------------------------------
project = "skmnist"
author = "skmnist developers"
copyright = "skmnist developers, BSD-3-Clause"
version = release = skmnist.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",  # loaded for the roles only: no mappings, nothing is fetched
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_api_*.rst",  # spliced into api.rst by this file, see below
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
    # sphinx-gallery's summary of all galleries' run times; it is rewritten only at the end
    # of a build, so a stale copy would name examples that no longer exist.
    "sg_execution_times.rst",
]
default_role = "literal"
pygments_style = "sphinx"

# No network at build time: intersphinx stays loaded (its roles are harmless) but maps nothing.
intersphinx_mapping = {}
intersphinx_disabled_reftypes = ["*"]

# -- autodoc, autosummary, numpydoc (scikit-learn's set-up) ----------------------------------
autosummary_imported_members = False
autosummary_ignore_module_all = False
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
toc_object_entries_show_parents = "hide"  # "fit()" in the page's contents, not "Class.fit()"

numpydoc_show_class_members = False  # the class template lists the methods itself
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# numpydoc's docstring checks that every documented object passes today (warnings are
# errors): a docstring exists (GL08), its summary is one capitalized sentence (SS01, SS04),
# documented parameters exist and have types and descriptions (PR02, PR05-PR07), functions
# document what they return or yield (RT01, YD01), and the layout is numpydoc's (GL03-GL10).
numpydoc_validation_checks = {
    "GL03", "GL05", "GL06", "GL07", "GL08", "GL09", "GL10",
    "SS01", "SS04", "PR02", "PR05", "PR06", "PR07", "RT01", "YD01",
}
# Class attributes whose value is None carry their documentation in the source (an attribute
# docstring, which autodoc reads), not in ``__doc__``: numpydoc cannot see it there.
numpydoc_validation_exclude = {r"\.head_class$", r"\.keras_package$"}

# Methods inherited from scikit-learn are listed on the class pages, as scikit-learn does,
# except the metadata-routing boilerplate (set_fit_request, ...). Their docstrings point into
# scikit-learn's own documentation (:ref: labels, glossary :term:s) that does not exist here:
# those roles become plain text, so the build needs no intersphinx (no network).
_SKLEARN_ROLE = re.compile(r":(?:ref|term|doc):`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")


def _skip_member(app, what, name, obj, skip, options):
    if name == "get_metadata_routing" or (name.startswith("set_") and name.endswith("_request")):
        return True
    return None


def _unlink_sklearn_roles(app, what, name, obj, options, lines):
    if not getattr(obj, "__module__", "").startswith("sklearn"):
        return
    for i, line in enumerate(lines):
        lines[i] = _SKLEARN_ROLE.sub(lambda m: f"*{(m.group(1) or m.group(2)).strip()}*", line)


# -- optional API sections -------------------------------------------------------------------
# skmnist.plotting, skmnist.report and skmnist.study are written alongside this documentation.
# Each has a fragment _api_<name>.rst; it is spliced into api.rst (and its pages generated)
# only when the module exists, so the build passes before it lands and lists it once it does.
_OPTIONAL_API = ["plotting", "study", "report"]
_OPTIONAL_PRESENT = [
    name for name in _OPTIONAL_API
    if importlib.util.find_spec(f"skmnist.{name}") is not None
]
autosummary_generate = ["api.rst"] + [
    f"_api_{name}.rst" for name in _OPTIONAL_PRESENT
]
_OPTIONAL_MARKER = ".. optional-api-sections"


def _splice_optional_api(app, docname, source):
    if docname != "api":
        return
    parts = []
    for name in _OPTIONAL_PRESENT:
        with open(os.path.join(HERE, f"_api_{name}.rst"), encoding="utf-8") as f:
            parts.append(f.read())
    source[0] = source[0].replace(_OPTIONAL_MARKER, "\n\n".join(parts))


# -- sphinx-gallery: every examples/plot_*.py runs during the build --------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # Only plot_*.py scripts are gallery pages: other .py files there (helpers, old scripts)
    # are neither shown nor run.
    "ignore_pattern": r"(^|[/\\])(?!plot_)[^/\\]+\.py$",
    "abort_on_example_error": True,
    "image_scrapers": ("matplotlib",),
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "download_all_examples": False,
    "plot_gallery": "True",
    "show_memory": False,
    "show_signature": False,
    "doc_module": ("skmnist",),
    "backreferences_dir": os.path.join("generated", "backreferences"),
    "min_reported_time": 1,
}



def _remove_stale_gallery_pages():
    """Delete generated gallery pages whose examples/plot_*.py is gone (renamed or removed).

    sphinx-gallery never deletes them, and an orphaned page fails the build (warnings are
    errors) until docs/auto_examples/ is removed by hand. A clean clone is unaffected.
    """
    gallery = os.path.join(HERE, sphinx_gallery_conf["gallery_dirs"])
    examples = os.path.join(HERE, sphinx_gallery_conf["examples_dirs"])
    if not os.path.isdir(gallery):
        return
    for name in os.listdir(gallery):
        stem = name.split(".")[0]
        path = os.path.join(gallery, name)
        if (
            stem.startswith("plot_")
            and os.path.isfile(path)
            and not os.path.isfile(os.path.join(examples, stem + ".py"))
        ):
            os.remove(path)


_remove_stale_gallery_pages()

# TensorFlow/TFP deprecation chatter while the examples run is not a documentation problem.
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings(
    "ignore", message="Matplotlib is currently using agg", category=UserWarning
)

# -- MyST ------------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- HTML ------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmnist {release}"
html_short_title = "skmnist"
html_static_path = []
html_show_sourcelink = False
html_copy_source = False
html_theme_options = {
    "navbar_align": "left",
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "icon_links": [],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "api": []}
html_context = {"default_mode": "light"}


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-docstring", _unlink_sklearn_roles)
    app.connect("source-read", _splice_optional_api)
