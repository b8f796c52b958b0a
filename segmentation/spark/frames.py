"""What every stage of the Spark engine uses to talk to Spark: temporary views and column references.

The engine runs the SQL of :mod:`segmentation.sql` on a user's DataFrames, so it needs a view name
for the length of a query and column references that survive any header a customer file may have.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from pyspark.sql import Column, DataFrame

__all__ = ["TempView", "col"]


class TempView:
    """A uniquely named temporary view of a DataFrame for the length of a ``with`` block.

    The queries built inside are analysed when built, so they keep working after the view is gone;
    a data engineer's session is left as it was.
    """

    def __init__(self, frame: DataFrame):
        self.frame = frame
        self.name = f"segmentation_{uuid.uuid4().hex}"

    def __enter__(self) -> str:
        self.frame.createOrReplaceTempView(self.name)
        return self.name

    def __exit__(self, *exc) -> None:
        self.frame.sparkSession.catalog.dropTempView(self.name)


def col(name: str) -> Column:
    """The column called ``name``, taken literally (dots and backticks included), unlike ``F.col``."""
    from pyspark.sql import functions as F

    return F.col(_quoted(name))


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
