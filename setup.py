"""Build hook, beside pyproject.toml: compile the manager's catalogues into the package.

The ``.po`` files are the source (``smsreply/translations/<lang>/LC_MESSAGES``); the
``.mo`` files Flask-Babel reads are built here, for wheels and editable installs alike,
so a fresh clone or an installed package has them. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in HERE.glob("smsreply/translations/*/LC_MESSAGES/*.po"):
            with po.open("rb") as source:
                catalog = read_po(source)
            with po.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalog)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogues})
